//! `archeo explain`: a runtime error message -> the code that emits each wrapped segment, the
//! call chain between them where the index shows it, and the revisions that emit it all.
//!
//! Go error chains join layers with ": " (`fmt.Errorf("open sysctl %s file: %w", key, err)`),
//! but a layer may contain ": " itself, so segmentation is a search: every span of ": "-pieces
//! is matched against the indexed format strings (verbs match any text, literal parts exactly)
//! and errno texts, and the segmentation explaining the most literal text wins.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::index::catalog::Catalog;
use crate::query::search::{RevOrder, RevRef, permalink, places};
use crate::index::store::{Store, StoredLiteral};

/// Callees whose string arguments are error texts.
const ERROR_CALLEES: &[&str] = &[
    "fmt.Errorf",
    "errors.New",
    "fmt.Sprintf",
    "errors.Wrap",
    "errors.Wrapf",
    "errors.Errorf",
    "pkgerrors.Wrap",
    "pkgerrors.Wrapf",
    "os.NewSyscallError",
    "xerrors.Errorf",
];

#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub repo: String,
    pub path: String,
    pub line: u32,
    pub function: Option<String>,
    pub vendored_module: Option<String>,
    pub revs: Vec<RevRef>,
    pub revs_display: String,
    /// Newest revision holding it, and its permalink.
    pub rev: String,
    pub url: String,
    #[serde(skip)]
    pub blob: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The format string as written (`open sysctl %s file: %w`), or `Op: "openat2"`.
    pub format: String,
    /// How the literal is used: fmt.Errorf, errors.New (sentinel errX), os.PathError Op, ...
    pub kind: String,
    /// Characters of literal text it matches: the ranking.
    pub literal_chars: usize,
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub text: String,
    pub errno: Option<String>,
    /// Best first; empty when no source is known.
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub from: usize,
    pub to: usize,
    /// `WriteSysctls calls procfsOpenRoot (internal/sys/sysctl_linux.go:39)` or why not shown.
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoEmission {
    pub repo: String,
    /// Compressed: `v1.2.8, v1.3.3..v1.3.6`
    pub emit: String,
    pub revs: Vec<String>,
    /// Nearest revisions that do not emit it, with the segments they lack.
    pub nearest_without: Vec<(String, Vec<usize>)>,
    /// Segments (indices) explained in this repository.
    pub segments: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub message: String,
    pub segments: Vec<Segment>,
    pub chain: Vec<Link>,
    pub emitted_by: Vec<RepoEmission>,
}

impl Explanation {
    pub fn all_explained(&self) -> bool {
        self.segments
            .iter()
            .all(|s| s.errno.is_some() || !s.candidates.is_empty())
    }
}

/// How well a span of pieces is explained: literal score, errno, matching patterns (best first).
type SpanMatch = (usize, Option<(u16, &'static str, &'static str)>, Vec<usize>);

/// A pattern compiled from a format string: the regex and its literal length.
struct Pattern {
    re: regex::Regex,
    literal: usize,
    parts: Vec<String>,
}

/// Compiles a Go format string into a full-match regex: verbs (`%s %d %v %q %w %x`, with flags,
/// widths and precisions) match any text; `%%` is a literal percent.
fn compile(format: &str) -> Option<Pattern> {
    let mut re = String::from("^");
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut literal = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            lit.push('%');
            continue;
        }
        // flags, width, precision, then the verb letter
        while let Some(&n) = chars.peek() {
            if "+-# 0123456789.*[]".contains(n) {
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars.next()?;
        if !verb.is_ascii_alphabetic() {
            return None;
        }
        literal += lit.chars().count();
        re.push_str(&regex::escape(&lit));
        if !lit.is_empty() {
            parts.push(std::mem::take(&mut lit));
        }
        re.push_str("(.*?)");
    }
    literal += lit.chars().count();
    re.push_str(&regex::escape(&lit));
    if !lit.is_empty() {
        parts.push(lit);
    }
    re.push('$');
    Some(Pattern {
        re: regex::RegexBuilder::new(&re)
            .dot_matches_new_line(true)
            .build()
            .ok()?,
        literal,
        parts,
    })
}

/// The segment pattern a literal stands for, and what kind of use it is.
fn segment_format(l: &StoredLiteral) -> Option<(String, String)> {
    if l.field.as_deref() == Some("Op") {
        // os.PathError: Op + " " + Path
        return Some((format!("{} %s", l.value), "os.PathError Op".into()));
    }
    let callee = l.callee.as_deref().unwrap_or("");
    let short = callee.rsplit('.').next().unwrap_or(callee);
    let is_error = ERROR_CALLEES.contains(&callee)
        || matches!(
            short,
            "Errorf" | "New" | "Wrap" | "Wrapf" | "NewSyscallError"
        );
    if !is_error {
        return None;
    }
    let mut f = l.value.clone();
    // The wrapped error is the rest of the chain, not part of this segment.
    for suffix in [": %w", ": %v", ": %s", ": %+v"] {
        if let Some(x) = f.strip_suffix(suffix) {
            f = x.to_string();
            break;
        }
    }
    for prefix in ["%w: ", "%v: ", "%s: "] {
        if let Some(x) = f.strip_prefix(prefix) {
            f = x.to_string();
            break;
        }
    }
    if f.trim().is_empty() || !f.chars().any(char::is_alphabetic) {
        return None;
    }
    let kind = match (&l.var, short) {
        (Some(v), _) => format!("sentinel {v} = {callee}"),
        (None, "NewSyscallError") => "os.NewSyscallError".to_string(),
        _ => callee.to_string(),
    };
    Some((f, kind))
}

/// Splits a message into ": "-separated pieces, whitespace normalised (wrapped log lines).
pub fn pieces(message: &str) -> Vec<String> {
    let norm = message.split_whitespace().collect::<Vec<_>>().join(" ");
    norm.split(": ").map(str::to_string).collect()
}

pub fn explain(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    message: &str,
    at: &[String],
    repos: &[String],
) -> Result<Explanation> {
    let ps = pieces(message);
    let message = ps.join(": ");
    let revs = crate::query::selector::select(cat, at, repos)?;
    let order = RevOrder::new(cat);

    // Candidate literals: those sharing a token with the message, whose literal parts all occur.
    let tokens = crate::index::tokenize::token_set(&message);
    let lits = store.literals_with_any(&tokens)?;
    let mut by_format: HashMap<String, (String, Vec<StoredLiteral>)> = HashMap::new();
    for l in lits {
        if let Some((f, kind)) = segment_format(&l) {
            by_format
                .entry(f)
                .or_insert_with(|| (kind, Vec::new()))
                .1
                .push(l);
        }
    }
    let mut patterns: Vec<(String, String, Pattern, Vec<StoredLiteral>)> = Vec::new();
    for (f, (kind, ls)) in by_format {
        let Some(p) = compile(&f) else { continue };
        if p.literal < 3 || !p.parts.iter().all(|part| message.contains(part.as_str())) {
            continue;
        }
        patterns.push((f, kind, p, ls));
    }
    // Keep only literals present in the selected revisions.
    let wanted: BTreeSet<String> = patterns
        .iter()
        .flat_map(|p| p.3.iter().map(|l| l.blob.clone()))
        .collect();
    let occ = places(index_dir, &revs, |id| wanted.contains(id), |_| true)?;

    // Best explanation of each span [i, j).
    let n = ps.len();
    let mut span: HashMap<(usize, usize), SpanMatch> = HashMap::new();
    for i in 0..n {
        for j in i + 1..=n {
            let text = ps[i..j].join(": ");
            let errno = crate::query::errno::by_text(&text);
            let mut matched: Vec<usize> = patterns
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.2.re.is_match(&text) && p.3.iter().any(|l| occ.contains_key(&l.blob))
                })
                .map(|(k, _)| k)
                .collect();
            matched.sort_by(|a, b| {
                patterns[*b]
                    .2
                    .literal
                    .cmp(&patterns[*a].2.literal)
                    .then_with(|| patterns[*a].0.cmp(&patterns[*b].0))
            });
            let score = match (errno, matched.first()) {
                (Some(_), _) => text.chars().count(),
                (None, Some(k)) => patterns[*k].2.literal,
                (None, None) => 0,
            };
            if score > 0 {
                span.insert((i, j), (score, errno, matched));
            }
        }
    }
    // Segmentation maximising explained literal text; fewer segments on ties.
    let mut best: Vec<(usize, usize, usize)> = vec![(0, 0, 0); n + 1]; // (score, -segments, prev)
    for j in 1..=n {
        let mut b = (0usize, usize::MAX, j - 1);
        for (i, prev) in best.iter().enumerate().take(j) {
            let s = span.get(&(i, j)).map_or(0, |x| x.0);
            if s == 0 && j - i > 1 {
                continue;
            }
            let cand = (prev.0 + s, prev.1 + 1, i);
            if cand.0 > b.0 || (cand.0 == b.0 && cand.1 < b.1) {
                b = cand;
            }
        }
        best[j] = b;
    }
    let mut cuts = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = best[j].2;
        cuts.push((i, j));
        j = i;
    }
    cuts.reverse();

    let mut segments = Vec::new();
    for (i, j) in cuts {
        let text = ps[i..j].join(": ");
        let Some((_, errno, matched)) = span.get(&(i, j)) else {
            segments.push(Segment {
                text,
                errno: None,
                candidates: Vec::new(),
            });
            continue;
        };
        let mut candidates = Vec::new();
        for k in matched {
            let (f, kind, p, ls) = &patterns[*k];
            let mut sites = Vec::new();
            for l in ls {
                let Some(at) = occ.get(&l.blob) else { continue };
                for ((repo, path), holders) in at {
                    let held = order.held(repo, holders);
                    sites.push(Site {
                        repo: repo.clone(),
                        path: path.clone(),
                        line: l.line,
                        function: l.decl.clone(),
                        vendored_module: held
                            .newest
                            .vendored_module(path)
                            .map(|m| format!("{} {}", m.module, m.version)),
                        rev: held.newest.rev.clone(),
                        url: permalink(&held.newest.url, &held.newest.commit, path, l.line, l.line),
                        revs_display: held.display,
                        revs: held.revs,
                        blob: l.blob.clone(),
                    });
                }
            }
            // Own code first, newest first, then by place.
            sites.sort_by(|a, b| {
                a.vendored_module
                    .is_some()
                    .cmp(&b.vendored_module.is_some())
                    .then_with(|| b.revs.len().cmp(&a.revs.len()))
                    .then_with(|| (&a.repo, &a.path, a.line).cmp(&(&b.repo, &b.path, b.line)))
            });
            let display = if kind == "os.PathError Op" {
                format!("Op: {:?}", f.trim_end_matches(" %s"))
            } else {
                f.clone()
            };
            candidates.push(Candidate {
                format: display,
                kind: kind.clone(),
                literal_chars: p.literal,
                sites,
            });
        }
        // Alternatives with less than half the best literal text are noise ("%d to %d").
        if let Some(best) = candidates.first().map(|c| c.literal_chars) {
            candidates.retain(|c| c.literal_chars * 2 >= best);
        }
        segments.push(Segment {
            text,
            errno: errno.map(|(num, name, _)| format!("{name} ({num})")),
            candidates,
        });
    }
    rank_by_affinity(&mut segments);

    let chain = links(index_dir, cat, store, &segments)?;
    let emitted_by = emission(&order, &revs, &segments);
    Ok(Explanation {
        message,
        segments,
        chain,
        emitted_by,
    })
}

/// The module (or top directory) a site belongs to.
fn module_of(site: &Site) -> String {
    match &site.vendored_module {
        Some(m) => m.split_whitespace().next().unwrap_or("").to_string(),
        None => format!(
            "{}:{}",
            site.repo,
            site.path.split('/').next().unwrap_or("")
        ),
    }
}

/// A wrapped error usually comes from the code next to its wrapper: sites sharing a module with
/// an adjacent segment's best site go first (e.g. the os.PathError "openat2" in the same
/// vendored module as the sentinel that wraps it).
fn rank_by_affinity(segments: &mut [Segment]) {
    for i in 0..segments.len() {
        let mut near: Vec<String> = Vec::new();
        for j in [i.wrapping_sub(1), i + 1] {
            if let Some(site) = segments
                .get(j)
                .and_then(|s| s.candidates.first())
                .and_then(|c| c.sites.first())
            {
                near.push(module_of(site));
            }
        }
        if let Some(c) = segments[i].candidates.first_mut() {
            c.sites.sort_by_key(|s| !near.contains(&module_of(s)));
        }
    }
}

/// Direct calls between the functions holding consecutive segments, where the index shows them.
fn links(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    segments: &[Segment],
) -> Result<Vec<Link>> {
    let mut out = Vec::new();
    let explained: Vec<usize> = (0..segments.len())
        .filter(|i| !segments[*i].candidates.is_empty())
        .collect();
    for w in explained.windows(2) {
        let (a, b) = (&segments[w[0]].candidates[0], &segments[w[1]].candidates[0]);
        let (Some(sa), Some(sb)) = (a.sites.first(), b.sites.first()) else {
            continue;
        };
        let (Some(fa), Some(fb)) = (&sa.function, &sb.function) else {
            continue;
        };
        let callee_ident = fb.rsplit('.').next().unwrap_or(fb).to_string();
        if a.kind.starts_with("sentinel") {
            out.push(Link {
                from: w[0],
                to: w[1],
                how: sentinel_link(index_dir, cat, store, a, sa, fa, &callee_ident)?,
            });
            continue;
        }
        let mut how = format!(
            "no direct call from {fa} to {fb} in the index (the chain runs through other functions)"
        );
        if let Some(file) = store.file_by_blob(&sa.blob)? {
            let (_, parsed) = file.parsed()?;
            if let Some(d) = file.decls.iter().find(|d| &d.name == fa) {
                if let Some(c) = parsed.calls.iter().find(|c| {
                    c.line >= d.start
                        && c.line <= d.end
                        && c.callee.rsplit('.').next() == Some(callee_ident.as_str())
                }) {
                    how = format!("{fa} calls {} ({}:{})", c.callee, sa.path, c.line);
                } else if b.kind.starts_with("sentinel") {
                    how = format!(
                        "{fb} is a sentinel error; the error {fa} wraps carries it (through the functions that return it)"
                    );
                }
            }
        }
        out.push(Link {
            from: w[0],
            to: w[1],
            how,
        });
    }
    Ok(out)
}

/// How a sentinel (segment N) meets segment N+1: the functions of the sentinel's package that
/// use it, and whether one of them calls the function holding segment N+1.
fn sentinel_link(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    c: &Candidate,
    site: &Site,
    var: &str,
    next_fn: &str,
) -> Result<String> {
    let var = c.kind.split_whitespace().nth(1).unwrap_or(var);
    let dir = site.path.rsplit_once('/').map_or("", |(d, _)| d);
    let q = crate::query::syntax::Query::parse(var)?;
    let scope = crate::query::search::Scope {
        at: vec![format!("{}@{}", site.repo, site.rev)],
        path: Some(format!("{dir}/")),
        ..Default::default()
    };
    let res = crate::query::search::search(index_dir, cat, store, &q, &scope, 0, None)?;
    let users: Vec<&crate::query::search::Hit> = res
        .hits
        .iter()
        .filter(|h| {
            h.symbol.as_deref().is_some_and(|s| s != var) && !h.text.trim_start().starts_with("//")
        })
        .collect();
    for h in &users {
        let Some(file) = store.file_by_blob(&h.blob)? else {
            continue;
        };
        let (_, parsed) = file.parsed()?;
        let Some(d) = file.decl_at(h.line) else {
            continue;
        };
        if let Some(call) = parsed.calls.iter().find(|x| {
            x.line >= d.start && x.line <= d.end && x.callee.rsplit('.').next() == Some(next_fn)
        }) {
            return Ok(format!(
                "{} wraps {var} ({}:{}) around the error of {} ({}:{})",
                d.name, h.path, h.line, call.callee, h.path, call.line
            ));
        }
    }
    let names: BTreeSet<&str> = users.iter().filter_map(|h| h.symbol.as_deref()).collect();
    Ok(if names.is_empty() {
        format!("{var} is a sentinel error; no function using it was found next to it")
    } else {
        format!(
            "{var} is used by {}; none of them calls {next_fn} directly",
            names.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Per repository: the revisions holding a site of every segment explained there.
fn emission(
    order: &RevOrder,
    revs: &[&crate::index::catalog::IndexedRev],
    segments: &[Segment],
) -> Vec<RepoEmission> {
    let mut repos: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in segments.iter().enumerate() {
        for c in s.candidates.iter().take(1) {
            for site in &c.sites {
                let e = repos.entry(site.repo.clone()).or_default();
                if !e.contains(&i) {
                    e.push(i);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (repo, segs) in repos {
        let ordered: Vec<&crate::index::catalog::IndexedRev> = order
            .of(&repo)
            .iter()
            .copied()
            .filter(|r| revs.iter().any(|x| std::ptr::eq(*x, *r)))
            .collect();
        // Which segments each revision holds (top candidate, any site in this repo).
        let holds = |rev: &str, seg: usize| {
            segments[seg].candidates.first().is_some_and(|c| {
                c.sites
                    .iter()
                    .any(|s| s.repo == repo && s.revs.iter().any(|r| r.rev == rev))
            })
        };
        let mask: Vec<bool> = ordered
            .iter()
            .map(|r| segs.iter().all(|s| holds(&r.rev, *s)))
            .collect();
        let names: Vec<&str> = ordered.iter().map(|r| r.rev.as_str()).collect();
        let mut nearest = Vec::new();
        for (k, m) in mask.iter().enumerate() {
            let edge = !m && (mask.get(k + 1) == Some(&true) || (k > 0 && mask[k - 1]));
            if edge {
                let lacks: Vec<usize> = segs
                    .iter()
                    .copied()
                    .filter(|s| !holds(&ordered[k].rev, *s))
                    .collect();
                nearest.push((ordered[k].rev.clone(), lacks));
            }
        }
        out.push(RepoEmission {
            emit: crate::query::selector::compress(&names, &mask),
            revs: ordered
                .iter()
                .zip(&mask)
                .filter(|(_, m)| **m)
                .map(|(r, _)| r.rev.clone())
                .collect(),
            repo,
            nearest_without: nearest,
            segments: segs,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_match_any_text_and_literals_exactly() {
        let p = compile("open sysctl %s file").unwrap();
        assert!(p.re.is_match("open sysctl net.ipv4.ip_unprivileged_port_start file"));
        assert!(!p.re.is_match("open sysctl x files"));
        assert_eq!(p.literal, "open sysctl ".len() + " file".len());
        let p = compile("short write (%-5d bytes != %08.3x) 100%%").unwrap();
        assert!(p.re.is_match("short write (3 bytes != 10) 100%"));
    }

    #[test]
    fn pieces_normalise_wrapped_lines() {
        assert_eq!(pieces("a: b\n   c: d"), ["a", "b c", "d"]);
    }
}
