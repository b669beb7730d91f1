//! Fuzzes the lock parser: it never panics, and what it accepts writes back to a lock that
//! parses to the same pins.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let path = std::path::Path::new("archeo.lock");
    if let Ok(lock) = archeo::source::lock::Lock::parse(path, text) {
        let again = archeo::source::lock::Lock::parse(path, &lock.to_toml()).expect("a written lock parses");
        assert_eq!(again, lock);
    }
});
