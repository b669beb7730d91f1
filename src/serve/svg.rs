//! The timeline chart, drawn on the server as inline SVG: one repository's revisions in version
//! order along the top, one row per tracked finding (or search hit), a filled cell where the
//! revision holds it, a dashed cell for a gap (absent between two revisions that hold it), a
//! plain cell where it is absent. Each filled cell links to the thing at that revision.

use maud::{Markup, html};

use crate::query::history::{TimelineRev, Track};
use crate::serve::links::{self, Followed};

const LABEL_W: usize = 330;
const CELL: usize = 16;
const PITCH: usize = 20;
/// Characters of a row label shown before it is cut (the whole label is in its tooltip).
const LABEL_CHARS: usize = 44;

/// A chart of `tracks` over `revs` (one repository's, oldest first).
pub(crate) fn timeline_chart(
    followed: &Followed,
    revs: &[&TimelineRev],
    tracks: &[&Track],
) -> Markup {
    let longest = revs
        .iter()
        .map(|r| r.rev.chars().count())
        .max()
        .unwrap_or(4);
    // Column labels are turned 60 degrees: their height is about 0.87 of their length.
    let top = 14 + (longest as f64 * 7.0 * 0.87) as usize;
    let width = LABEL_W + revs.len() * PITCH + 40;
    let height = top + tracks.len() * PITCH + 8;
    let repo = revs.first().map(|r| r.repo.as_str()).unwrap_or("");
    html! {
        svg.timeline xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) role="img"
            aria-label=(format!("{repo}: {} tracked over {} revisions", tracks.len(), revs.len())) {
            @for (i, r) in revs.iter().enumerate() {
                @let x = LABEL_W + i * PITCH + CELL / 2;
                text transform=(format!("translate({x},{}) rotate(-60)", top - 6)) {
                    title { (r.rev) " · " (r.commit) " · " (r.count) " held" }
                    (r.rev)
                }
            }
            @for (row, t) in tracks.iter().enumerate() {
                (track_row(followed, revs, t, top + row * PITCH))
            }
        }
    }
}

fn track_row(followed: &Followed, revs: &[&TimelineRev], t: &Track, y: usize) -> Markup {
    let held: Vec<bool> = revs.iter().map(|r| t.cite.held_by(&r.rev)).collect();
    let first = held.iter().position(|h| *h);
    let last = held.iter().rposition(|h| *h);
    let key = links::track_key(&links::track_identity(t));
    let label = row_label(followed, t);
    let short = shorten(&label, LABEL_CHARS);
    html! {
        g.track data-track=(key) {
            a href=(links::file(&t.cite.repo, &t.cite.rev, &t.cite.path, Some(t.cite.start))) {
                text x="0" y=(y + CELL - 3) {
                    title { (label) "\n" (t.cite.revs_display) }
                    (short)
                }
            }
            @for (i, r) in revs.iter().enumerate() {
                @let x = LABEL_W + i * PITCH;
                @if held[i] {
                    a.cell.present href=(links::cell(followed, &r.repo, &r.rev, &key)) data-rev=(r.rev) {
                        title { (r.rev) ": present — open it at " (r.rev) }
                        rect x=(x) y=(y) width=(CELL) height=(CELL) rx="3" {}
                    }
                } @else {
                    @let gap = first.is_some_and(|f| f < i) && last.is_some_and(|l| i < l);
                    rect class=(if gap { "cell gap" } else { "cell absent" }) data-rev=(r.rev)
                        x=(x) y=(y) width=(CELL) height=(CELL) rx="3" {
                        title { (r.rev) ": " (if gap { "absent (a gap: held before and after)" } else { "absent" }) }
                    }
                }
            }
        }
    }
}

/// `s` in at most `max` characters: its head and tail around an ellipsis, so a long path keeps
/// both the declaration before it and the file name and lines at its end.
fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head = max / 3;
    let tail = max - head - 1;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// `rule · symbol · path:line`, without the rule on that rule's own chart, or for a search
/// `symbol · path:line`.
fn row_label(followed: &Followed, t: &Track) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(r) = &t.rule
        && !matches!(followed, Followed::Rule(only) if only == r)
    {
        parts.push(r.clone());
    }
    if let Some(s) = &t.symbol {
        parts.push(s.clone());
    }
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
    use super::shorten;

    #[test]
    fn long_labels_keep_head_and_tail() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("abcdefghijklmnop", 10), "abc…klmnop");
        assert_eq!(shorten("abcdefghijklmnop", 10).chars().count(), 10);
        assert_eq!(shorten("ééééééééééé", 4), "é…éé");
    }
}
