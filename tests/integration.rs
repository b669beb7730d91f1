//! The integration tests, compiled as one test binary (each file below is a module): one link
//! of archeo and its dependencies instead of one per file, which is most of a clean CI build.
//! Run one file's tests with `cargo test --test integration serve::` (a name filter).

mod artifact_fixtures;
mod common;

mod artifact;
mod artifact_go;
mod case_study;
mod catalog;
mod deps;
mod explain;
mod export;
mod fetch;
mod front;
mod functable;
mod history;
mod hostile;
mod hostile_upstreams;
mod identify;
mod identify_native;
mod index;
mod interfaces;
mod langs;
mod onboarding;
mod properties;
mod query_language;
mod ray;
mod reliability;
mod reparse;
mod rules;
mod search;
mod serve;
mod shards;
mod watch;
mod xref;
mod xref_cli;
