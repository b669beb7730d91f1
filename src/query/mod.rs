//! The query stage: from an opened index to typed results (search hits, findings, diffs,
//! timelines, explanations), each place cited. Nothing here formats output.

pub mod cancel;
pub mod deps;
pub(crate) mod errno;
pub mod explain;
pub mod findings;
pub mod history;
pub mod identify;
pub mod prefilter;
pub mod search;
pub mod syntax;
pub mod watch;
pub mod xref;

/// The names among `known` closest to `name` (a typo's likely meaning), best first.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(u32, &str)> = known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_lowercase()), k))
        .filter(|(sim, _)| *sim >= 0.8)
        .map(|(sim, k)| ((sim * 1000.0) as u32, k))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}
