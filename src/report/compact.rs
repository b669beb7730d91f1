//! The compact form of a document block, made for reading: any block's Markdown (evidence,
//! timelines, affected rows, deps, explain, xref) is rewritten the same way, so every printer
//! keeps one Markdown form and documents get a short one.
//!
//! - Rows that say the same thing for several revisions (the same cells once commits are set
//!   aside) become one row whose first cell names the revisions as ranges over the table's own
//!   order (`moby@v28.4.0..v28.5.1 (3 revs)`).
//! - A cell listing many places (`<br>`-separated) keeps its first two and says how many more.
//! - A row still longer than [`LINE_CAP`] characters (as written, links as reference links) is
//!   cut, its longest cell first: a cell of several places keeps fewer, a cell of text without
//!   links is cut at [`CELL_WIDTH`] characters with `…` (a code span is closed again).
//! - At most [`ROW_CAP`] rows show; the whole table, uncut, follows folded in a `<details>`
//!   element.
//! - Links become reference links (`[text][Lxxxxxxxx]`, defined once at the end of the block), so
//!   a table line stays a line a person can read in the source.
//!
//! Deterministic: the same Markdown in gives the same bytes out, so `export --check` holds.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows shown before the rest is folded.
pub const ROW_CAP: usize = 10;
/// `<br>`-separated items a cell shows before the rest is counted.
const CELL_ITEMS: usize = 2;
/// The longest table line the compact form writes outside its fold, when cutting can reach it.
pub const LINE_CAP: usize = 400;
/// The width a long cell of text is cut to when its row is over [`LINE_CAP`].
pub const CELL_WIDTH: usize = 120;

/// The compact form of a block's Markdown.
pub fn compact(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut fence: Option<String> = None;
    while i < lines.len() {
        let line = lines[i];
        if let Some(f) = &fence {
            if line.trim_start().starts_with(f.as_str()) {
                fence = None;
            }
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            let c = t.chars().next().expect("non-empty");
            fence = Some(t.chars().take_while(|x| *x == c).collect());
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        if is_row(line) && lines.get(i + 1).is_some_and(|l| is_separator(l)) {
            let start = i;
            i += 2;
            while i < lines.len() && is_row(lines[i]) {
                i += 1;
            }
            out.push_str(&table(&lines[start..i]));
            continue;
        }
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    references(&out)
}

fn is_row(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.ends_with('|') && t.len() >= 2
}

fn is_separator(line: &str) -> bool {
    is_row(line)
        && cells(line)
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|x| matches!(x, '-' | ':' | ' ')))
}

/// The cells of a table row (pipes escaped as `\|` stay inside their cell).
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let inner = &t[1..t.len() - 1];
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c == '|' {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// A cell with its commits set aside: 40-hex commits in links and 12-hex ones in code spans.
fn without_commits(cell: &str) -> String {
    let re = commit_re();
    re.replace_all(cell, "@").into_owned()
}

fn commit_re() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"\b[0-9a-f]{40}\b|`[0-9a-f]{12}`").expect("a valid pattern")
    })
}

/// `repo@rev` at the start of a first cell.
fn revision_of(cell: &str) -> Option<(String, String)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^([A-Za-z0-9._-]+)@([^\s(<|]+)").expect("a valid pattern")
    });
    let c = re.captures(cell)?;
    Some((c[1].to_string(), c[2].to_string()))
}

/// A table in compact form, then the whole table folded when anything was left out.
fn table(lines: &[&str]) -> String {
    let header = cells(lines[0]);
    let sep = cells(lines[1]);
    let rows: Vec<Vec<String>> = lines[2..].iter().map(|l| cells(l)).collect();
    let merged = merge_revisions(&rows);
    let mut cut = false;
    let shown: Vec<Vec<String>> = merged
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    let items: Vec<&str> = c.split("<br>").collect();
                    if items.len() > CELL_ITEMS + 1 {
                        cut = true;
                        format!(
                            "{}<br>… +{} more",
                            items[..CELL_ITEMS].join("<br>"),
                            items.len() - CELL_ITEMS
                        )
                    } else {
                        c.clone()
                    }
                })
                .collect()
        })
        .collect();
    let shown: Vec<Vec<String>> = shown
        .into_iter()
        .map(|r| {
            let (r, narrowed) = narrow(r);
            cut |= narrowed;
            r
        })
        .collect();
    let capped = shown.len() > ROW_CAP;
    let mut out = String::new();
    out.push_str(&row(&header));
    out.push_str(&row(&sep));
    for r in shown.iter().take(ROW_CAP) {
        out.push_str(&row(r));
    }
    if capped {
        let _ = writeln!(
            out,
            "\n_{} more row{} in the table below._",
            shown.len() - ROW_CAP,
            if shown.len() - ROW_CAP == 1 { "" } else { "s" }
        );
    }
    if capped || cut || merged.len() < rows.len() {
        let _ = writeln!(
            out,
            "\n<details><summary>The whole table: {} row{}{}</summary>\n",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            if cut { ", every cell whole" } else { "" }
        );
        for l in lines {
            out.push_str(l.trim_end());
            out.push('\n');
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// A row's length as written: links become `[text][Lxxxxxxxx]` (see [`references`]).
fn written_len(cell: &str) -> usize {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re =
        RE.get_or_init(|| regex::Regex::new(r"\]\(https?://[^)\s]+\)").expect("a valid pattern"));
    re.replace_all(cell, "][L00000000]").chars().count()
}

fn row_len(cells: &[String]) -> usize {
    4 + cells.iter().map(|c| written_len(c) + 3).sum::<usize>()
}

/// Cuts a row over [`LINE_CAP`]: first its long cells of text without links, to [`CELL_WIDTH`]
/// characters, longest first; then, if still over, its cells of several `<br>`-separated places
/// keep one fewer (down to one), longest first. Cells that hold links and one place stay whole.
/// Says whether anything was cut.
fn narrow(mut r: Vec<String>) -> (Vec<String>, bool) {
    let mut cut = false;
    while row_len(&r) > LINE_CAP {
        let step = (0..r.len())
            .filter_map(|i| cut_text_cell(&r[i]).map(|s| (i, s)))
            .max_by_key(|(i, _)| (written_len(&r[*i]), std::cmp::Reverse(*i)))
            .or_else(|| {
                (0..r.len())
                    .filter_map(|i| fewer_places(&r[i]).map(|s| (i, s)))
                    .max_by_key(|(i, _)| (written_len(&r[*i]), std::cmp::Reverse(*i)))
            });
        let Some((i, s)) = step else { break };
        r[i] = s;
        cut = true;
    }
    (r, cut)
}

/// The places of a cell before the `… +N more` it may end with, and that N.
fn counted(cell: &str) -> (&str, usize) {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"<br>… \+(\d+) more$").expect("a valid pattern"));
    match re.captures(cell) {
        Some(c) => (
            &cell[..c.get(0).expect("whole").start()],
            c[1].parse::<usize>().unwrap_or(0),
        ),
        None => (cell, 0),
    }
}

/// A cell of several places with one fewer.
fn fewer_places(cell: &str) -> Option<String> {
    let (body, more) = counted(cell);
    let items: Vec<&str> = body.split("<br>").collect();
    (items.len() > 1).then(|| {
        format!(
            "{}<br>… +{} more",
            items[..items.len() - 1].join("<br>"),
            more + 1
        )
    })
}

/// A cell of text without links, cut to [`CELL_WIDTH`]; `None` when it holds a link, lists
/// places, or is short already.
fn cut_text_cell(cell: &str) -> Option<String> {
    if cell.contains("](") || cell.contains("<br>") || written_len(cell) <= CELL_WIDTH {
        return None;
    }
    Some(cut_text(cell, CELL_WIDTH))
}

/// Text cut to `width` characters with `…`: never after a lone backslash (an escape), and an
/// open code span is closed.
fn cut_text(cell: &str, width: usize) -> String {
    let mut out: String = cell.chars().take(width.saturating_sub(2)).collect();
    let trailing = out.chars().rev().take_while(|c| *c == '\\').count();
    if trailing % 2 == 1 {
        out.pop();
    }
    out = out.trim_end().to_string();
    if out.matches('`').count() % 2 == 1 {
        out.push_str("…`");
    } else {
        out.push('…');
    }
    out
}

/// Rows equal but for their first cell's revision and their commits become one row (the
/// newest's cells), its first cell naming every revision as ranges over the table's order.
fn merge_revisions(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let revs: Vec<Option<(String, String)>> = rows
        .iter()
        .map(|r| r.first().and_then(|c| revision_of(c)))
        .collect();
    if revs.iter().any(Option::is_none) || rows.len() < 2 {
        return rows.to_vec();
    }
    // The table's own order of revisions, per repository.
    let mut order: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (repo, rev) in revs.iter().flatten() {
        let o = order.entry(repo.clone()).or_default();
        if !o.contains(rev) {
            o.push(rev.clone());
        }
    }
    let key = |r: &Vec<String>, (repo, _): &(String, String)| {
        let mut k: Vec<String> = vec![repo.clone()];
        k.extend(r.iter().skip(1).map(|c| without_commits(c)));
        k
    };
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let rv = revs[i].as_ref().expect("checked");
        let k = key(r, rv);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.1.push(i),
            None => groups.push((k, vec![i])),
        }
    }
    groups
        .into_iter()
        .map(|(_, members)| {
            let newest = *members.last().expect("a member");
            let mut r = rows[newest].clone();
            if members.len() > 1 {
                let repo = &revs[newest].as_ref().expect("checked").0;
                let held: Vec<&str> = members
                    .iter()
                    .map(|m| revs[*m].as_ref().expect("checked").1.as_str())
                    .collect();
                let all: Vec<&str> = order[repo].iter().map(String::as_str).collect();
                let mask: Vec<bool> = all.iter().map(|r| held.contains(r)).collect();
                r[0] = format!(
                    "{repo}@{} ({} revs)",
                    crate::index::selector::compress(&all, &mask),
                    held.len()
                );
                // A commit cell of its own names the newest's commit, and says so.
                for c in r.iter_mut().skip(1) {
                    if c.len() == 14 && commit_re().is_match(c) {
                        *c = format!("newest {c}");
                    }
                }
            }
            r
        })
        .collect()
}

/// Inline links become reference links defined once at the end (outside code fences).
fn references(md: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\[((?:[^\[\]\\]|\\.)*)\]\((https?://[A-Za-z0-9\-._~/:%#@+,=!$&;?]+)\)")
            .expect("a valid pattern")
    });
    let mut defs: Vec<(String, String)> = Vec::new();
    let mut out = String::with_capacity(md.len());
    let mut fence: Option<String> = None;
    for line in md.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(f) = &fence {
            if t.starts_with(f.as_str()) {
                fence = None;
            }
            out.push_str(line);
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            let c = t.chars().next().expect("non-empty");
            fence = Some(t.chars().take_while(|x| *x == c).collect());
            out.push_str(line);
            continue;
        }
        let spans = code_spans(line);
        let replaced = re.replace_all(line, |c: &regex::Captures| {
            let whole = c.get(0).expect("the whole match");
            // A link inside a code span is quoted text (an upstream excerpt): kept as it is.
            if spans.iter().any(|s| s.contains(&whole.start())) {
                return whole.as_str().to_string();
            }
            let url = &c[2];
            let label = label(url);
            if !defs.iter().any(|(l, _)| *l == label) {
                defs.push((label.clone(), url.to_string()));
            }
            format!("[{}][{label}]", &c[1])
        });
        out.push_str(&replaced);
    }
    if !defs.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
        for (l, u) in defs {
            let _ = writeln!(out, "[{l}]: {u}");
        }
    }
    out
}

/// The byte ranges of a line's inline code spans (CommonMark: a run of N backticks opens a span
/// that the next run of exactly N backticks closes; an unclosed run is literal text).
fn code_spans(line: &str) -> Vec<std::ops::Range<usize>> {
    let b = line.as_bytes();
    let run_at = |i: usize| b[i..].iter().take_while(|c| **c == b'`').count();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let mut closed = None;
        while j < b.len() {
            if b[j] == b'`' {
                let m = run_at(j);
                if m == n {
                    closed = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                spans.push(i..end);
                i = end;
            }
            None => i += n,
        }
    }
    spans
}

/// A label for a URL: `L` and 8 hex digits of its FNV-1a hash (the same URL, the same label, in
/// every block of a document).
fn label(url: &str) -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in url.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    format!("L{h:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_differing_only_by_revision_merge_into_ranges() {
        let md = "| release | evidence | version |\n| --- | --- | --- |\n\
            | moby@v28.4.0 (`249d679a6baf`) | [Dockerfile:265](https://github.com/moby/moby/blob/249d679a6baf8a32bb6d72d6ac5cc7ab9c90b4ea/Dockerfile#L265) | `v1.3.0` |\n\
            | moby@v28.5.0 (`aaaaaaaaaaaa`) | [Dockerfile:265](https://github.com/moby/moby/blob/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Dockerfile#L265) | `v1.3.0` |\n\
            | moby@v28.5.1 (`bbbbbbbbbbbb`) | [Dockerfile:265](https://github.com/moby/moby/blob/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/Dockerfile#L265) | `v1.3.0` |\n\
            | moby@v28.5.2 (`cccccccccccc`) | [Dockerfile:264](https://github.com/moby/moby/blob/cccccccccccccccccccccccccccccccccccccccc/Dockerfile#L264) | `v1.3.3` |\n";
        let c = compact(md);
        assert!(
            c.contains("| moby@v28.4.0..v28.5.1 (3 revs) | [Dockerfile:265][L"),
            "{c}"
        );
        assert!(c.contains("| moby@v28.5.2 (`cccccccccccc`) |"), "{c}");
        // The newest's link, defined once at the end; the whole table folded below.
        assert!(
            c.contains("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/Dockerfile#L265\n"),
            "{c}"
        );
        assert!(
            c.contains("<details><summary>The whole table: 4 rows</summary>"),
            "{c}"
        );
        assert_eq!(compact(md), c, "deterministic");
    }

    #[test]
    fn long_tables_fold_and_long_cells_are_cut() {
        let mut md = String::from("| # | where |\n| --- | --- |\n");
        for i in 0..15 {
            md.push_str(&format!("| T{i} | a{i}<br>b<br>c<br>d |\n"));
        }
        let c = compact(&md);
        let visible = c.split("<details>").next().unwrap();
        assert_eq!(visible.matches("| T").count(), ROW_CAP, "{c}");
        assert!(visible.contains("| T0 | a0<br>b<br>… +2 more |"), "{c}");
        assert!(visible.contains("_5 more rows in the table below._"), "{c}");
        assert!(
            c.contains("| T14 | a14<br>b<br>c<br>d |"),
            "the fold is whole: {c}"
        );
    }

    #[test]
    fn rows_over_the_line_cap_are_cut_longest_cell_first_and_folded_whole() {
        let link = |n: u32| {
            format!(
                "[vendor/github.com/cyphar/filepath-securejoin/pathrs-lite/internal/procfs/procfs_lookup_linux.go:{n}](https://github.com/o/r/blob/{}/vendor/x.go#L{n})",
                "a".repeat(40)
            )
        };
        // Three places (the item cut leaves three alone), the last one long: one goes.
        let places = format!(
            "{}<br>vendored github.com/cyphar/filepath-securejoin v0.5.1<br>wrapped in `procfsLookupInRoot` at {}",
            link(243),
            link(93)
        );
        let excerpt = format!("`{}`", "x".repeat(250));
        let facts = format!("syscalls = \\[{}\\]", "chown, ".repeat(40));
        let md = format!(
            "| # | site | excerpt | facts |\n| --- | --- | --- | --- |\n| 6 | {places} | {excerpt} | {facts} |\n| 7 | {} | `short` | none |\n",
            link(1)
        );
        let c = compact(&md);
        let (visible, folded) = c.split_once("<details>").expect("folded: {c}");
        for l in visible.lines() {
            assert!(
                l.chars().count() <= LINE_CAP,
                "{} > {LINE_CAP}: {l}",
                l.len()
            );
        }
        // Places go last-first after the text cells were cut; the first place stays.
        assert!(
            visible.contains("procfs_lookup_linux.go:243][L"),
            "{visible}"
        );
        assert!(visible.contains(" more |"), "{visible}");
        assert!(!visible.contains("wrapped in"), "{visible}");
        // Text without links is cut at the cell width, a code span closed again, an escape
        // never split.
        assert!(visible.contains("xxx…` |"), "{visible}");
        assert!(!visible.contains("\\…"), "{visible}");
        // The short row is untouched, and the fold has every cell whole.
        assert!(visible.contains("| 7 | [vendor/"), "{visible}");
        assert!(folded.contains("every cell whole"), "{folded}");
        assert!(
            folded.contains(&places) || folded.contains("wrapped in `procfsLookupInRoot`"),
            "{folded}"
        );
        assert!(folded.contains(&excerpt), "{folded}");
        assert_eq!(compact(&md), c, "deterministic");
    }

    #[test]
    fn a_long_row_of_links_alone_stays_whole() {
        let cell = format!(
            "[{}](https://github.com/o/r/blob/{}/p.go#L1)",
            "p/".repeat(150),
            "b".repeat(40)
        );
        let md = format!("| a | b |\n| --- | --- |\n| {cell} | {cell} |\n");
        let c = compact(&md);
        assert!(
            !c.contains("<details>"),
            "nothing was cut, nothing folded: {c}"
        );
        assert!(c.contains(&format!("[{}][L", "p/".repeat(150))), "{c}");
    }

    #[test]
    fn links_quoted_in_code_spans_are_left_alone() {
        // An excerpt cell quotes upstream Markdown: its link is text, not a link of the block.
        let md = "| where | excerpt |\n| --- | --- |\n\
            | [a.toml:31](https://github.com/o/r/blob/c/a.toml#L31) | `* [**GHSA-x**](https://github.com/o/r/security/advisories/GHSA-x)` |\n\
            | [b.md:2](https://github.com/o/r/blob/c/b.md#L2) | `` a ` [x](https://example.com/x) `` |\n";
        let c = compact(md);
        assert!(
            c.contains("`* [**GHSA-x**](https://github.com/o/r/security/advisories/GHSA-x)`"),
            "{c}"
        );
        assert!(c.contains("`` a ` [x](https://example.com/x) ``"), "{c}");
        assert!(c.contains("| [a.toml:31][L"), "{c}");
        assert!(!c.contains("]: https://example.com/x"), "{c}");
        assert!(!c.contains("advisories/GHSA-x\n["), "{c}");
        assert_eq!(code_spans("a `b` c ``d`e`` `f"), vec![2..5, 8..15]);
    }

    #[test]
    fn code_fences_are_left_alone() {
        let md = "```\n| a | b |\n| --- | --- |\n[x](https://example.com/a)\n```\n";
        assert_eq!(compact(md), md);
    }
}
