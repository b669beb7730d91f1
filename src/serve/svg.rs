//! The timeline chart, drawn on the server as inline SVG: one repository's revisions in version
//! order along the top, one row per tracked finding (or search hit), a filled cell where the
//! revision holds it, a dashed cell for a gap (absent between two revisions that hold it), a
//! plain cell where it is absent. Each filled cell links to the thing at that revision.
//!
//! The chart fits a 1280-pixel window (and so every wider one) without scrolling: row labels
//! are cut to a bounded width keeping their distinguishing end (the file name and lines), and
//! when there are more revisions than columns, runs of consecutive revisions that are the same
//! in every row are drawn as one column (the oldest runs first, only as many as needed), so
//! every revision where a row appears or disappears keeps its own column or starts one. The
//! note under the chart says which runs were joined.

use maud::{Markup, html};

use crate::query::history::{TimelineRev, Track};
use crate::serve::links::{self, Followed};

/// The widest the chart may be: a 1280-pixel window less the page's padding, the chart box's
/// border and padding, and a scrollbar.
pub(crate) const MAX_WIDTH: usize = 1180;
/// The widest a second, wider chart may be (a 1920-pixel window less the same margins): the
/// stylesheet (`pages/layout.rs`) shows it instead in windows at least 1900 pixels wide.
pub(crate) const WIDE_MAX_WIDTH: usize = 1820;
const CELL: usize = 16;
const PITCH: usize = 20;
/// Width of one character of the chart's 12px monospace font (DejaVu Sans Mono: 7.22).
const CHAR_W: f64 = 7.3;
/// Characters of a row label shown (the whole label is in its tooltip and the list below).
const LABEL_CHARS: usize = 56;
/// Characters a symbol keeps in a cut label, so the file name and lines keep the rest.
const SYMBOL_CHARS: usize = 24;

/// One column: a revision, or a run of consecutive revisions that are the same in every row.
struct Column<'a> {
    revs: Vec<&'a TimelineRev>,
}

impl Column<'_> {
    fn first(&self) -> &TimelineRev {
        self.revs[0]
    }

    /// The column's label: the revision, or a run's first revision (where its rows last
    /// changed) and how many follow it.
    fn label(&self) -> String {
        match self.revs.as_slice() {
            [one] => one.rev.clone(),
            many => format!("{} +{}", many[0].rev, many.len() - 1),
        }
    }

    /// `v1.2.0..v1.2.7 (8)`.
    fn range(&self) -> String {
        match self.revs.as_slice() {
            [one] => one.rev.clone(),
            many => format!(
                "{}..{} ({})",
                many[0].rev,
                many[many.len() - 1].rev,
                many.len()
            ),
        }
    }
}

/// Where everything goes.
struct Layout<'a> {
    columns: Vec<Column<'a>>,
    max_width: usize,
    label_w: usize,
    top: usize,
    width: usize,
}

/// A chart of `tracks` over `revs` (one repository's, oldest first), with a note under it when
/// runs of revisions were joined to fit. When a wide window would fit more columns than a
/// 1280-pixel one, both charts are rendered and CSS shows the one the window fits (no
/// JavaScript).
pub(crate) fn timeline_chart(
    followed: &Followed,
    revs: &[&TimelineRev],
    tracks: &[&Track],
) -> Markup {
    let labels: Vec<(String, String)> = tracks
        .iter()
        .map(|t| (short_label(followed, t), row_label(followed, t)))
        .collect();
    let label_chars = labels
        .iter()
        .map(|(s, _)| s.chars().count())
        .max()
        .unwrap_or(0);
    let narrow = layout(revs, tracks, label_chars, MAX_WIDTH);
    if narrow.columns.len() == revs.len() {
        return chart(followed, revs, tracks, &labels, &narrow, "view");
    }
    let wide = layout(revs, tracks, label_chars, WIDE_MAX_WIDTH);
    html! {
        (chart(followed, revs, tracks, &labels, &narrow, "view narrow"))
        (chart(followed, revs, tracks, &labels, &wide, "view wide"))
    }
}

fn chart(
    followed: &Followed,
    revs: &[&TimelineRev],
    tracks: &[&Track],
    labels: &[(String, String)],
    layout: &Layout,
    class: &str,
) -> Markup {
    let height = layout.top + tracks.len() * PITCH + 8;
    let repo = revs.first().map(|r| r.repo.as_str()).unwrap_or("");
    let joined: Vec<&Column> = layout.columns.iter().filter(|c| c.revs.len() > 1).collect();
    html! {
        div class=(class) {
            div.chart {
                svg.timeline xmlns="http://www.w3.org/2000/svg" width=(layout.width) height=(height)
                    viewBox=(format!("0 0 {} {height}", layout.width)) role="img"
                    aria-label=(format!("{repo}: {} tracked over {} revisions", tracks.len(), revs.len())) {
                    @for (i, c) in layout.columns.iter().enumerate() {
                        @let x = layout.label_w + i * PITCH + CELL / 2;
                        text.col.run[c.revs.len() > 1] data-rev=(c.first().rev)
                            transform=(format!("translate({x},{}) rotate(-60)", layout.top - 6)) {
                            title { (column_title(c)) }
                            (c.label())
                        }
                    }
                    @for (row, t) in tracks.iter().enumerate() {
                        (track_row(followed, layout, t, &labels[row], layout.top + row * PITCH))
                    }
                }
            }
            @if !joined.is_empty() {
                p.small.muted.joined {
                    "To fit, " (joined.len()) (if joined.len() == 1 { " run" } else { " runs" })
                    " of releases the same in every row " (if joined.len() == 1 { "is" } else { "are" })
                    " one column each: "
                    @for (k, c) in joined.iter().enumerate() {
                        @if k > 0 { ", " }
                        span.run { (c.range()) }
                    }
                    ". Hover a column for its releases; the list below names every release."
                }
            }
            @if layout.width > layout.max_width {
                p.small.muted.overflow {
                    "More releases change what they hold than fit across: scroll the chart."
                }
            }
        }
    }
}

/// The columns and sizes: every revision its own column when that fits in `max_width`, else
/// runs of revisions that are the same in every row joined, one at a time (the oldest first),
/// until it fits (or nothing more can be joined).
fn layout<'a>(
    revs: &[&'a TimelineRev],
    tracks: &[&Track],
    label_chars: usize,
    max_width: usize,
) -> Layout<'a> {
    let label_w = (label_chars as f64 * CHAR_W).ceil() as usize + 12;
    let held: Vec<Vec<bool>> = revs
        .iter()
        .map(|r| tracks.iter().map(|t| t.cite.held_by(&r.rev)).collect())
        .collect();
    // Runs of equal rows: (start, len).
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in 0..revs.len() {
        match runs.last_mut() {
            Some((s, n)) if held[*s] == held[i] => *n += 1,
            _ => runs.push((i, 1)),
        }
    }
    let mut joined = vec![false; runs.len()];
    loop {
        let columns: Vec<Column> = runs
            .iter()
            .zip(&joined)
            .flat_map(|(&(s, n), &j)| {
                if j {
                    vec![Column {
                        revs: revs[s..s + n].to_vec(),
                    }]
                } else {
                    revs[s..s + n]
                        .iter()
                        .map(|r| Column { revs: vec![*r] })
                        .collect()
                }
            })
            .collect();
        let (top, width) = size(&columns, label_w);
        let layout = Layout {
            columns,
            max_width,
            label_w,
            top,
            width,
        };
        if width <= max_width {
            return layout;
        }
        // Columns still too many: join the oldest run of three or more (older history is
        // the first to be drawn closer), then runs of two; the newest run last (it ends the
        // chart, and the newest releases matter most).
        let newest = runs.len() - 1;
        let pick = (0..runs.len())
            .filter(|k| !joined[*k] && runs[*k].1 > 1)
            .min_by_key(|k| (*k == newest, runs[*k].1 < 3, runs[*k].0));
        match pick {
            Some(k) => joined[k] = true,
            None => return layout,
        }
    }
}

/// The height above the rows (column labels are turned 60 degrees: about 0.87 of their length
/// up, half of it to the right) and the whole width.
fn size(columns: &[Column], label_w: usize) -> (usize, usize) {
    let lens: Vec<usize> = columns.iter().map(|c| c.label().chars().count()).collect();
    let longest = lens.iter().copied().max().unwrap_or(4);
    let top = 14 + (longest as f64 * CHAR_W * 0.87) as usize;
    let cells = label_w + columns.len() * PITCH;
    let reach = lens
        .iter()
        .enumerate()
        .map(|(i, n)| label_w + i * PITCH + CELL / 2 + (*n as f64 * CHAR_W * 0.5).ceil() as usize)
        .max()
        .unwrap_or(0);
    (top, cells.max(reach) + 8)
}

fn column_title(c: &Column) -> String {
    match c.revs.as_slice() {
        [one] => format!("{} · {} · {} held", one.rev, one.commit, one.count),
        many => format!(
            "{} releases, the same in every row ({} held): {}",
            many.len(),
            many[0].count,
            many.iter()
                .map(|r| r.rev.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn track_row(
    followed: &Followed,
    layout: &Layout,
    t: &Track,
    (short, full): &(String, String),
    y: usize,
) -> Markup {
    let held: Vec<bool> = layout
        .columns
        .iter()
        .map(|c| t.cite.held_by(&c.first().rev))
        .collect();
    let first = held.iter().position(|h| *h);
    let last = held.iter().rposition(|h| *h);
    let key = links::track_key(&links::track_identity(t));
    html! {
        g.track data-track=(key) {
            a href=(links::file(&t.cite.repo, &t.cite.rev, &t.cite.path, Some(t.cite.start))) {
                text.label x="0" y=(y + CELL - 3) {
                    title { (full) "\n" (t.cite.revs_display) }
                    (short)
                }
            }
            @for (i, c) in layout.columns.iter().enumerate() {
                @let x = layout.label_w + i * PITCH;
                @let r = c.first();
                @let which = c.range();
                @if held[i] {
                    a.cell.present href=(links::cell(followed, &r.repo, &r.rev, &key)) data-rev=(r.rev) {
                        title { (which) ": present — open it at " (r.rev) }
                        rect x=(x) y=(y) width=(CELL) height=(CELL) rx="3" {}
                    }
                } @else {
                    @let gap = first.is_some_and(|f| f < i) && last.is_some_and(|l| i < l);
                    rect class=(if gap { "cell gap" } else { "cell absent" }) data-rev=(r.rev)
                        x=(x) y=(y) width=(CELL) height=(CELL) rx="3" {
                        title { (which) ": " (if gap { "absent (a gap: held before and after)" } else { "absent" }) }
                    }
                }
            }
        }
    }
}

/// `s` in at most `max` characters: its head and tail around an ellipsis.
fn cut_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - head - 1;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// `s` in at most `max` characters, keeping its end: an ellipsis, then the tail.
fn cut_start(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let mut out = String::from("…");
    out.extend(s.chars().skip(n - (max - 1)));
    out
}

/// The label a row shows, at most [`LABEL_CHARS`]: when the whole does not fit, the rule and
/// symbol are cut in the middle to [`SYMBOL_CHARS`] each and the path at its start, so the file
/// name and lines (what tells rows apart) stay.
fn short_label(followed: &Followed, t: &Track) -> String {
    let whole = row_label(followed, t);
    if whole.chars().count() <= LABEL_CHARS {
        return whole;
    }
    let head: Vec<String> = row_head(followed, t)
        .iter()
        .map(|p| cut_middle(p, SYMBOL_CHARS))
        .collect();
    let mut prefix = head.join(" · ");
    if !prefix.is_empty() {
        prefix.push_str(" · ");
    }
    let room = LABEL_CHARS.saturating_sub(prefix.chars().count()).max(12);
    format!("{prefix}{}", cut_start(&t.cite.location(), room))
}

/// The rule (unless the chart follows only that rule) and the symbol.
fn row_head(followed: &Followed, t: &Track) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(r) = &t.rule
        && !matches!(followed, Followed::Rule(only) if only == r)
    {
        parts.push(r.clone());
    }
    if let Some(s) = &t.symbol {
        parts.push(s.clone());
    }
    parts
}

/// `rule · symbol · path:line`, without the rule on that rule's own chart, or for a search
/// `symbol · path:line`.
fn row_label(followed: &Followed, t: &Track) -> String {
    let mut parts = row_head(followed, t);
    parts.push(t.cite.location());
    parts.join(" · ")
}

/// The legend under a chart.
pub(crate) fn legend() -> Markup {
    html! {
        p.small.muted {
            svg width="14" height="14" { rect x="1" y="1" width="12" height="12" rx="3" style="fill:var(--present)" {} }
            " present (click: open it at that release)  "
            svg width="14" height="14" { rect x="1" y="1" width="12" height="12" rx="3" style="fill:none;stroke:var(--gap);stroke-dasharray:3 2" {} }
            " gap: absent between releases that hold it  "
            svg width="14" height="14" { rect x="1" y="1" width="12" height="12" rx="3" style="fill:var(--absent)" {} }
            " absent"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cut_middle, cut_start};

    #[test]
    fn long_labels_keep_their_distinguishing_end() {
        assert_eq!(cut_middle("short", 10), "short");
        assert_eq!(cut_middle("abcdefghijklmnop", 10), "abcd…lmnop");
        assert_eq!(cut_middle("abcdefghijklmnop", 10).chars().count(), 10);
        assert_eq!(cut_middle("ééééééééééé", 4), "é…éé");
        assert_eq!(
            cut_start("internal/procfs/procfs_lookup_linux.go:84-87", 29),
            "…procfs_lookup_linux.go:84-87"
        );
        assert_eq!(cut_start("a.go:3", 20), "a.go:3");
    }
}
