//! Fuzzes the manifest parser: it never panics, and what it accepts holds only strict URLs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(m) = archeo::source::manifest::Manifest::parse(std::path::Path::new("archeo.toml"), text) {
        for r in &m.repos {
            assert!(archeo::source::git::validate_url(&r.url).is_ok());
            for x in &r.exclude {
                assert!(archeo::path_filter::PathFilter::new(x).is_ok());
            }
        }
    }
});
