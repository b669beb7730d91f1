//! The chain: which site of each segment the message went through, and the route between
//! consecutive segments, decided by the message itself.
//!
//! A shortest path is not an explanation. Each repository's part is read at one revision
//! ([`super::Part`]); for every segment its options are the sites of its sources held there —
//! and for a sentinel error (`var errX = errors.New(...)`), the places that use it, since the
//! message is made where the sentinel is wrapped, not where it is declared. Each option is
//! checked against the message around its segment (its *shape*): a format that wraps the next
//! error (`...: %w`), a use of the sentinel inside `fmt.Errorf("%w: subpath %s ...")` whose text
//! the message does (or does not) continue with, a comparison (`errors.Is`) that emits nothing.
//! Routes between the options of consecutive segments come from the revision's reference graph
//! (or a child process's path from its entry point); the chosen chain maximises routes found
//! and consistent shapes, and every other route weighed is kept, with why it lost.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;

use super::{Chosen, Link, Part, Segment, Wrap, compile};
use crate::index::Index;
use crate::index::catalog::IndexedRev;
use crate::index::citation::permalink;
use crate::lang::RefKind;
use crate::query::xref::{ChildStart, Hop, Loader, RouteGraph, child_starts, hops};
use crate::xref::{Certainty, NodeId};

type HashSet<T> = rustc_hash::FxHashSet<T>;

/// The message as explain split it.
pub(super) struct Message<'a> {
    /// Its ": "-separated pieces.
    pub pieces: &'a [String],
    /// Each segment's span of pieces.
    pub cuts: &'a [(usize, usize)],
}

/// What a route not taken says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Consistent with the message, ranked after the chosen route (longer, or less certain).
    Possible,
    /// The code there would have produced a different message.
    Contradicted,
    /// No call path reaches it in the revision's reference graph.
    Unreached,
}

/// A route weighed and not taken.
#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    /// Through which site: `procfs.checkSubpathOvermount (…/procfs_linux.go:416)`.
    pub via: String,
    /// Why it is not the chain.
    pub verdict: Verdict,
    /// In words.
    pub why: String,
    /// Its hops, when the graph has a route.
    pub hops: Vec<Hop>,
}

/// How the code at an option agrees with the message around its segment.
#[derive(Debug, Clone)]
enum Shape {
    /// The code spells out what the message shows next (a wrapping format it matches).
    Confirmed(String),
    /// Nothing there contradicts the message.
    Possible(String),
    /// The code there makes a different message.
    Contradicted(String),
}

impl Shape {
    fn score(&self) -> i64 {
        match self {
            Shape::Confirmed(_) => 300,
            Shape::Possible(_) => 200,
            Shape::Contradicted(_) => -3000,
        }
    }

    fn text(&self) -> &str {
        match self {
            Shape::Confirmed(t) | Shape::Possible(t) | Shape::Contradicted(t) => t,
        }
    }
}

/// One way a segment may have been made at the part's revision.
struct Opt {
    /// Candidate and site indices in the segment.
    cand: usize,
    site: usize,
    /// The graph node a route goes through: the function holding the site, or for a sentinel
    /// the function using it.
    node: Option<NodeId>,
    /// For a sentinel: where it is used.
    wrap: Option<Wrap>,
    shape: Shape,
    /// How to name it: `sys.WriteSysctls (internal/sys/sysctl_linux.go:41)`.
    label: String,
}

/// A route between two options.
enum Route {
    /// The same function makes both.
    Same,
    /// Calls within the process: the hops, and the graph's edges they are.
    Calls(Vec<Hop>, Vec<usize>),
    /// The outer code reads the error its child process wrote (`runc init`).
    Child { start: usize, hops: Vec<Hop> },
}

impl Route {
    fn score(&self) -> i64 {
        let cost = |h: &[Hop]| {
            10 * h.len() as i64
                + 5 * h.iter().filter(|x| x.certainty != Certainty::Exact).count() as i64
        };
        match self {
            Route::Same => 1000,
            Route::Calls(h, _) => 1000 - cost(h),
            Route::Child { hops, .. } => 900 - cost(hops),
        }
    }

    fn hops(&self) -> &[Hop] {
        match self {
            Route::Same => &[],
            Route::Calls(h, _) | Route::Child { hops: h, .. } => h,
        }
    }
}

/// A route found between two options, after checking every hop against the message.
struct Found {
    /// The route (None: every route the graph has wraps the error in text the message lacks).
    route: Option<Route>,
    /// Routes ruled out on the way: the hop, and the wrap the message does not hold.
    avoided: Vec<(String, String)>,
}

impl Found {
    fn score(&self) -> i64 {
        self.route.as_ref().map_or(0, Route::score)
    }
}

/// Routes between the options of two consecutive segments, by (outer option, inner option).
type Routes = HashMap<(usize, usize), Found>;

/// What routes are looked for in: one part's revision, its graph and its files' text.
struct Walk<'a, 'f, 'i> {
    index: &'a Index,
    g: &'a mut RouteGraph<'f, 'i>,
    msg: &'a Message<'a>,
    rev: &'a IndexedRev,
    texts: &'a mut HashMap<String, Option<String>>,
}

/// `err` as a word: a line that sets or tests the error a call returned.
fn err_word() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\berr\b").expect("a valid pattern"))
}

/// Calls that make, wrap or test an error rather than return one from elsewhere.
fn makes_error(callee: &str) -> bool {
    let short = callee.rsplit('.').next().unwrap_or(callee);
    matches!(
        short,
        "Errorf"
            | "Wrapf"
            | "Wrap"
            | "New"
            | "WithMessage"
            | "WithMessagef"
            | "WithStack"
            | "Is"
            | "As"
            | "Unwrap"
    )
}

impl Walk<'_, '_, '_> {
    /// The text of the file at `path` in the part's revision.
    fn text(&mut self, path: &str) -> Result<Option<&str>> {
        let Some((blob, _)) = self.g.file(path) else {
            return Ok(None);
        };
        if !self.texts.contains_key(blob) {
            let text = self.index.file_by_blob(blob)?.map(|f| f.content);
            self.texts.insert(blob.to_string(), text);
        }
        Ok(self.texts[blob].as_deref())
    }

    /// The first hops an option's error can come from: the error a format (or a sentinel's
    /// wrap) carries is the one the nearest call before it that sets `err` returned. None: no
    /// such call is known, any first hop.
    fn first_hops(
        &mut self,
        o: &Opt,
        from: NodeId,
        seg: &Segment,
    ) -> Result<Option<HashSet<usize>>> {
        let cand = &seg.candidates[o.cand];
        // The line the error is made on; a sentinel's wrap is itself a call on its line
        // (`wrapBase(err, errX)`), a format's line may call what it wraps.
        let (path, line, same_line) = match &o.wrap {
            Some(w) => (w.path.clone(), w.line, false),
            None if cand.is_sentinel()
                || cand.is_plain_literal()
                || cand.kind == "os.PathError Op" =>
            {
                return Ok(None);
            }
            None => {
                let site = &cand.sites[o.site];
                (site.cite.path.clone(), site.cite.start, true)
            }
        };
        let Some(text) = self.text(&path)?.map(str::to_string) else {
            return Ok(None);
        };
        let lines: Vec<&str> = text.lines().collect();
        let sets_err = |l: u32| {
            lines
                .get(l as usize - 1)
                .is_some_and(|t| err_word().is_match(t))
        };
        let out = self.g.graph.outgoing_edges(from)?.to_vec();
        let g = self.g.graph.graph();
        // Calls before the line first; the line's own calls only when none sets `err` before
        // it (`return fmt.Errorf("x: %w", f())`), since on the line an error is usually only
        // printed or wrapped (`fmt.Fprintln(os.Stderr, fmt.Errorf("x: %w", err))`).
        let lines_to_try: &[bool] = if same_line { &[false, true] } else { &[false] };
        for &on_line in lines_to_try {
            let mut best = 0;
            let mut set: HashSet<usize> = HashSet::default();
            for &e in &out {
                let edge = &g.edges()[e];
                let l = edge.site.line;
                let before = if on_line { l == line } else { l < line };
                if edge.kind != RefKind::Call
                    || *edge.site.path != *path
                    || !before
                    || makes_error(&edge.written)
                    || !sets_err(l)
                {
                    continue;
                }
                if l > best {
                    best = l;
                    set.clear();
                }
                if l == best {
                    set.insert(e);
                }
            }
            if !set.is_empty() {
                return Ok(Some(set));
            }
        }
        Ok(None)
    }

    /// Every option of segment `s` at `rev`: its strong sources' sites held there (a sentinel's
    /// through each place using it), each with its graph node and shape.
    fn options(&mut self, segments: &[Segment], s: usize) -> Result<Vec<Opt>> {
        let (msg, rev) = (self.msg, self.rev);
        let mut out = Vec::new();
        for base in plain_options(msg, segments, s, rev)
            .into_iter()
            .take(MAX_OPTIONS)
        {
            let cand = &segments[s].candidates[base.cand];
            let site = &cand.sites[base.site];
            let node = site.function.as_deref().and_then(|f| {
                self.g
                    .graph
                    .graph()
                    .node_at(&site.cite.path, f, site.cite.start)
            });
            if !cand.is_sentinel() {
                out.push(Opt { node, ..base });
                continue;
            }
            let Some(var) = node else {
                out.push(base);
                continue;
            };
            for e in self.g.graph.references_to(var)? {
                let (from, path, line, display) = {
                    let use_ = self.g.graph.graph().link(e, 1);
                    (
                        use_.edge.from,
                        use_.edge.site.path.to_string(),
                        use_.edge.site.line,
                        use_.from.display(),
                    )
                };
                if from == var {
                    continue;
                }
                let Some(shape) = self.use_shape(&path, line, cand.kind.as_str(), s)? else {
                    continue; // a comparison: emits nothing
                };
                out.push(Opt {
                    cand: base.cand,
                    site: base.site,
                    node: Some(from),
                    wrap: Some(Wrap {
                        function: display.clone(),
                        path: path.clone(),
                        line,
                        url: permalink(&rev.url, &rev.commit, &path, line, line),
                    }),
                    shape,
                    label: format!("{display} ({path}:{line})"),
                });
            }
        }
        out.truncate(MAX_OPTIONS);
        Ok(out)
    }

    /// How a use of a sentinel at `path:line` agrees with the message around segment `s`; None when
    /// the use only compares with it (`errors.Is(err, errX)`, `err == errX`, `case errX`).
    fn use_shape(&mut self, path: &str, line: u32, kind: &str, s: usize) -> Result<Option<Shape>> {
        let msg = self.msg;
        let var = kind
            .strip_prefix("sentinel ")
            .and_then(|k| k.split_whitespace().next())
            .unwrap_or("");
        let Some((_, facts)) = self.g.file(path) else {
            return Ok(Some(Shape::Possible(format!("used at {path}:{line}"))));
        };
        let func_start = facts
            .decls
            .iter()
            .filter(|d| d.start <= line && line <= d.end)
            .map(|d| d.start)
            .max()
            .unwrap_or(1);
        let text = self.text(path)?.unwrap_or("").to_string();
        let at = text.lines().nth(line as usize - 1).unwrap_or("");
        if compares(at, var) {
            return Ok(None);
        }
        // The format of a call wrapping it: the literal an Errorf-like call opens with, on the
        // use's line or up to three lines before it (a call split over lines), in the same
        // function. (String literals are not among the stored parse facts: read from the text.)
        let first = line.saturating_sub(3).max(func_start).max(1);
        let window: Vec<&str> = text
            .lines()
            .skip(first as usize - 1)
            .take((line - first + 1) as usize)
            .collect();
        let Some((format, at)) = wrapping_format(&window.join("\n"), var) else {
            return Ok(Some(Shape::Possible(format!(
                "used at {path}:{line}; how it is joined to the next error is not read from there"
            ))));
        };
        let at = first + at;
        let f = &format;
        Ok(Some(if fits(msg, s, f) {
            Shape::Confirmed(format!("wrapped by {f:?} ({path}:{at})"))
        } else {
            let seg = msg.pieces[msg.cuts[s].0..msg.cuts[s].1].join(": ");
            let after = match rest(msg, s) {
                r if r.is_empty() => format!("the message ends with {seg:?}"),
                r => format!("after {seg:?} the message goes on {r:?}"),
            };
            Shape::Contradicted(format!(
                "there its error reads {f:?} ({path}:{at}), but {after}"
            ))
        }))
    }

    /// A wrap of the error a call at `path:line` returned, in the lines after it up to the next
    /// call: `fmt.Errorf("get safe /proc/thread-self/fd handle: %w", err)`. The format and its
    /// line.
    fn wrap_after(&mut self, path: &str, line: u32) -> Result<Option<(String, u32)>> {
        let next = self.g.calls(path)?.and_then(|calls| {
            calls
                .iter()
                .filter(|c| c.line > line && !makes_error(&c.callee))
                .map(|c| c.line)
                .min()
        });
        let last = next.map_or(line + 6, |n| (n - 1).min(line + 6));
        let Some(text) = self.text(path)? else {
            return Ok(None);
        };
        for (i, l) in text
            .lines()
            .enumerate()
            .skip(line as usize - 1)
            .take((last - line + 1) as usize)
        {
            if let Some(f) = call_format(l) {
                return Ok(Some((f, i as u32 + 1)));
            }
        }
        Ok(None)
    }

    /// The first hop of `path` whose caller wraps the error in text the message does not hold.
    fn contradicted_hop(&mut self, path: &[usize]) -> Result<Option<(usize, String, String)>> {
        for &e in path {
            let edge = self.g.graph.graph().edges()[e].clone();
            let Some((format, at)) = self.wrap_after(&edge.site.path, edge.site.line)? else {
                continue;
            };
            let carried = strip_wrap(&format);
            if carried.chars().any(char::is_alphabetic) && !fits_anywhere(self.msg, &carried) {
                let g = self.g.graph.graph();
                let from = g.node(edge.from).display();
                let to = g.node(edge.to).display();
                return Ok(Some((
                    e,
                    format!("{from} → {to} ({}:{})", edge.site.path, edge.site.line),
                    format!(
                        "{from} wraps the error of {to} as {format:?} ({}:{at}), which the message does not hold",
                        edge.site.path
                    ),
                )));
            }
        }
        Ok(None)
    }

    /// `path` checked hop by hop; a route whose hop wraps the error in other words is set
    /// aside and the next route looked for (a few times).
    fn checked(
        &mut self,
        from: NodeId,
        to: NodeId,
        first: Option<&HashSet<usize>>,
        path: Vec<usize>,
        excluded: &mut HashSet<usize>,
    ) -> Result<Found> {
        let mut avoided = Vec::new();
        let mut path = path;
        for _ in 0..6 {
            match self.contradicted_hop(&path)? {
                None => {
                    let route = if path.is_empty() {
                        Route::Same
                    } else {
                        let links = self.g.graph.graph().path_links(&path);
                        Route::Calls(cited(&hops(&links), self.rev), path)
                    };
                    return Ok(Found {
                        route: Some(route),
                        avoided,
                    });
                }
                Some((e, via, why)) => {
                    avoided.push((via, why));
                    excluded.insert(e);
                    match self
                        .g
                        .graph
                        .routes_with(from, &[to], first, excluded)?
                        .pop()
                        .flatten()
                    {
                        Some(p) => path = p,
                        None => break,
                    }
                }
            }
        }
        Ok(Found {
            route: None,
            avoided,
        })
    }

    /// Another route from `from` to `to` than `chosen` (each of its hops set aside in turn), the
    /// shortest found, checked like the first.
    fn another(
        &mut self,
        from: NodeId,
        to: NodeId,
        first: Option<&HashSet<usize>>,
        chosen: &[usize],
    ) -> Result<Option<Vec<Hop>>> {
        let mut best: Option<Vec<usize>> = None;
        for &e in chosen.iter().rev().take(4) {
            let mut excluded: HashSet<usize> = HashSet::default();
            excluded.insert(e);
            let Some(p) = self
                .g
                .graph
                .routes_with(from, &[to], first, &excluded)?
                .pop()
                .flatten()
            else {
                continue;
            };
            let found = self.checked(from, to, first, p, &mut excluded)?;
            // Another route goes through other functions; the same functions called from
            // another line of one of them (another branch of a switch) are not another route.
            // (Compared by package directory and the name a reader sees: build-tag alternates
            // of one function are distinct nodes of one directory with one name; a function of
            // that name in another package is another function.)
            let nodes = |p: &[usize]| -> Vec<(String, String)> {
                p.iter()
                    .map(|&e| {
                        let g = self.g.graph.graph();
                        let n = g.node(g.edges()[e].to);
                        (n.dir.to_string(), n.display())
                    })
                    .collect()
            };
            if let Some(Route::Calls(_, p)) = found.route
                && nodes(&p) != nodes(chosen)
                && best.as_ref().is_none_or(|b| p.len() < b.len())
            {
                best = Some(p);
            }
        }
        Ok(best.map(|p| cited(&hops(&self.g.graph.graph().path_links(&p)), self.rev)))
    }
}

/// The format a line's error-making call opens with: `fmt.Errorf("x: %w", err)` or
/// `errors.Wrapf(err, "x %s", y)` -> the literal.
fn call_format(line: &str) -> Option<String> {
    let at = [
        "Errorf(",
        "Wrapf(",
        "Wrap(",
        "WithMessagef(",
        "WithMessage(",
    ]
    .iter()
    .filter_map(|c| line.find(c).map(|i| i + c.len()))
    .min()?;
    let rest = &line[at..];
    let q = rest.find(['"', '`'])?;
    decode_literal(&rest[q..])
}

/// The Go string literal `s` starts with, decoded.
fn decode_literal(s: &str) -> Option<String> {
    let mut chars = s.chars();
    match chars.next()? {
        '`' => {
            let body = &s[1..];
            Some(body[..body.find('`')?].to_string())
        }
        '"' => {
            let mut out = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        c => out.push(c),
                    },
                    c => out.push(c),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// A wrap's own words: `x: %w` -> `x`, `%w: x` -> `x`.
fn strip_wrap(format: &str) -> String {
    let mut f = format.to_string();
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
    f
}

/// Does format `f` make some span of the message?
fn fits_anywhere(msg: &Message, f: &str) -> bool {
    let Some(p) = compile(f) else { return true };
    let n = msg.pieces.len();
    (0..n).any(|i| {
        (i + 1..=n.min(i + super::MAX_SPAN)).any(|j| p.matches(&msg.pieces[i..j].join(": ")))
    })
}

/// At most this many options per segment: the sites of the three best sources, at one
/// revision, rarely exceed it.
const MAX_OPTIONS: usize = 12;

/// Chooses each segment's site ([`Segment::chosen`]) and links consecutive explained segments.
pub(super) fn chain(
    index: &Index,
    msg: &Message,
    segments: &mut [Segment],
    parts: &[Part],
) -> Result<Vec<Link>> {
    let mut loader = Loader::new(index);
    let mut texts: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::new();
    let mut owner: HashMap<usize, usize> = HashMap::new();
    for (p, part) in parts.iter().enumerate() {
        for &s in &part.segments {
            owner.insert(s, p);
        }
        if part.segments.len() == 1 {
            let s = part.segments[0];
            if let Some(o) = plain_options(msg, segments, s, part.rev).into_iter().next() {
                segments[s].chosen = Some(chosen(&o, part.rev, &segments[s]));
            }
            continue;
        }
        let files = loader.route_files(part.rev)?;
        let mut g = files.graph();
        let mut children: Option<Vec<ChildStart>> = None;
        let mut walk = Walk {
            index,
            g: &mut g,
            msg,
            rev: part.rev,
            texts: &mut texts,
        };
        let opts: Vec<Vec<Opt>> = part
            .segments
            .iter()
            .map(|&s| walk.options(segments, s))
            .collect::<Result<_>>()?;
        // routes[k][(i, j)]: from option i of segment k to option j of segment k + 1.
        let mut routes: Vec<Routes> = Vec::new();
        // The first hops each option's error can come from (None: any).
        let mut firsts: Vec<Vec<Option<HashSet<usize>>>> = Vec::new();
        for (k, os) in opts.iter().enumerate() {
            let seg = &segments[part.segments[k]];
            firsts.push(
                os.iter()
                    .map(|o| match o.node {
                        Some(n) => walk.first_hops(o, n, seg),
                        None => Ok(None),
                    })
                    .collect::<Result<_>>()?,
            );
        }
        for k in 0..opts.len() - 1 {
            let mut found: Routes = HashMap::new();
            let targets: Vec<(usize, NodeId)> = opts[k + 1]
                .iter()
                .enumerate()
                .filter_map(|(j, o)| Some((j, o.node?)))
                .collect();
            let nodes: Vec<NodeId> = targets.iter().map(|t| t.1).collect();
            for (i, a) in opts[k].iter().enumerate() {
                let Some(from) = a.node else { continue };
                let first = firsts[k][i].as_ref();
                let paths = walk
                    .g
                    .graph
                    .routes_with(from, &nodes, first, &HashSet::default())?;
                for (&(j, to), p) in targets.iter().zip(paths) {
                    let Some(p) = p else { continue };
                    let mut excluded = HashSet::default();
                    found.insert((i, j), walk.checked(from, to, first, p, &mut excluded)?);
                }
            }
            if found.values().all(|f| f.route.is_none()) {
                // No route within the process: the outer code may report what a child
                // process of itself wrote back (`runc init`).
                let starts = match &children {
                    Some(c) => c,
                    None => children.insert(child_starts(&mut loader, walk.g)?),
                };
                for (c, start) in starts.iter().enumerate() {
                    let entries = walk.g.graph.graph().lookup(&start.entry);
                    for &(j, to) in &targets {
                        // The shortest (the first of the shortest) of the entries' routes.
                        let mut best: Option<Vec<usize>> = None;
                        for &e in &entries {
                            if let Some(r) = walk.g.graph.routes_from(e, &[to])?.pop().flatten()
                                && best.as_ref().is_none_or(|b| r.len() < b.len())
                            {
                                best = Some(r);
                            }
                        }
                        if let Some(r) = best {
                            let r = walk.g.graph.graph().path_links(&r);
                            for i in 0..opts[k].len() {
                                let slot = found.entry((i, j)).or_insert(Found {
                                    route: None,
                                    avoided: Vec::new(),
                                });
                                if slot.route.is_none() {
                                    slot.route = Some(Route::Child {
                                        start: c,
                                        hops: cited(&hops(&r), part.rev),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            routes.push(found);
        }
        let picks = best_sequence(&opts, &routes);
        for (k, &s) in part.segments.iter().enumerate() {
            if let Some(i) = picks[k] {
                segments[s].chosen = Some(chosen(&opts[k][i], part.rev, &segments[s]));
            }
        }
        for k in 0..opts.len() - 1 {
            let (a, b) = (part.segments[k], part.segments[k + 1]);
            // When another route reaches the chosen site as well, the message cannot tell them
            // apart: it is shown next to the chosen one.
            let other = match (picks[k], picks[k + 1]) {
                (Some(i), Some(j)) => match routes[k].get(&(i, j)).and_then(|f| f.route.as_ref()) {
                    Some(Route::Calls(_, path)) => {
                        let (from, to) = (
                            opts[k][i].node.expect("routed"),
                            opts[k + 1][j].node.expect("routed"),
                        );
                        walk.another(from, to, firsts[k][i].as_ref(), &path.clone())?
                    }
                    _ => None,
                },
                _ => None,
            };
            out.push(link(
                (a, b),
                (&opts[k], &opts[k + 1]),
                (picks[k], picks[k + 1]),
                (&routes[k], other),
                children.as_deref().unwrap_or_default(),
                part.rev,
                k == 0,
            ));
        }
    }
    // Consecutive explained segments of different repositories.
    let mut explained: Vec<usize> = owner.keys().copied().collect();
    explained.sort_unstable();
    for w in explained.windows(2) {
        let (pa, pb) = (owner[&w[0]], owner[&w[1]]);
        if pa != pb {
            out.push(Link {
                from: w[0],
                to: w[1],
                at: None,
                how: format!(
                    "crosses from {} to {}: another program's error (archeo follows calls within one repository's revision, not between programs)",
                    parts[pa].repo, parts[pb].repo
                ),
                hops: Vec::new(),
                boundary: true,
                alternatives: Vec::new(),
            });
        }
    }
    out.sort_by_key(|l| l.from);
    Ok(out)
}

/// The options of a segment read without a graph (a part of one segment): its strong sites held
/// at `rev`, shaped by their own text.
fn plain_options(msg: &Message, segments: &[Segment], s: usize, rev: &IndexedRev) -> Vec<Opt> {
    let seg = &segments[s];
    let mut out = Vec::new();
    for (c, cand) in seg.candidates.iter().enumerate() {
        if cand.weak.is_some() {
            continue;
        }
        for (i, site) in cand.sites.iter().enumerate() {
            // A test that asserts on the message is not where it is made.
            if site.cite.repo != rev.repo
                || !site.cite.held_by(&rev.rev)
                || is_test_path(&site.cite.path)
            {
                continue;
            }
            out.push(Opt {
                cand: c,
                site: i,
                node: None,
                wrap: None,
                shape: if cand.is_sentinel() {
                    Shape::Possible("a sentinel; where it is wrapped was not looked up".into())
                } else {
                    format_shape(&cand.kind, &site.literal, msg, s)
                },
                label: site_label(site.function.as_deref(), &site.cite.path, site.cite.start),
            });
        }
    }
    out
}

/// A test file or test data: `_test.go`, a `.bats` script, under `tests/`, `test/` or
/// `testdata/`.
fn is_test_path(path: &str) -> bool {
    path.ends_with("_test.go")
        || path.ends_with(".bats")
        || path
            .split('/')
            .any(|c| matches!(c, "tests" | "test" | "testdata" | "integration-tests"))
}

/// How a format site agrees with the message: a format ending in a verb wraps the next error;
/// one ending in its own text ends the message there.
fn format_shape(kind: &str, literal: &str, msg: &Message, s: usize) -> Shape {
    if kind == "os.PathError Op" {
        return Shape::Possible(
            "an os.PathError: the operation, the path, then the error it carries".into(),
        );
    }
    if kind.starts_with("literal ") || kind == "string literal" {
        return Shape::Possible(format!(
            "{kind}: how that function joins it to other errors is not read"
        ));
    }
    let last = s + 1 == msg.cuts.len();
    let trimmed = literal.trim_end();
    let wraps = ["%w", "%v", "%s", "%+v", "%q"]
        .iter()
        .any(|v| trimmed.ends_with(v));
    match (wraps, last) {
        (true, false) => Shape::Confirmed(format!("{literal:?} wraps the error that follows")),
        (true, true) => Shape::Possible(format!("{literal:?} would wrap another error here")),
        (false, true) => Shape::Confirmed(format!("{literal:?} is the innermost error")),
        (false, false) => Shape::Contradicted(format!(
            "{literal:?} ends the error, but the message goes on: {:?}",
            rest(msg, s)
        )),
    }
}

/// The format literal of the last `Errorf(`/`Wrapf(` call in `code` that is followed by `var`
/// (the call wrapping it), decoded, and the line (0-based, within `code`) it starts on.
fn wrapping_format(code: &str, var: &str) -> Option<(String, u32)> {
    let use_at = code.rfind(var)?;
    let call = ["Errorf(", "Wrapf("]
        .iter()
        .filter_map(|c| code[..use_at].rfind(c).map(|i| i + c.len()))
        .max()?;
    if !still_open(&code[call..use_at]) {
        return None; // that call closed before the use: it wraps something else
    }
    let value = decode_literal(code[call..].trim_start())?;
    let line = code[..call].matches('\n').count() as u32;
    Some((value, line))
}

/// Does the line only compare with `var` (`errors.Is(err, var)`, `== var`, `case var:`)?
fn compares(line: &str, var: &str) -> bool {
    if var.is_empty() {
        return false;
    }
    let t = line.trim();
    let is = ["errors.Is(", "errors.As(", "IsError("]
        .iter()
        .any(|f| t.contains(f) && t.contains(var));
    is || t.contains(&format!("== {var}"))
        || t.contains(&format!("!= {var}"))
        || t.contains(&format!("{var} =="))
        || t.contains(&format!("{var} !="))
        || (t.starts_with("case ") && t.contains(var))
}

/// Can format `f` (with the sentinel at one of its verbs) make a span of the message holding
/// segment `s`?
fn fits(msg: &Message, s: usize, f: &str) -> bool {
    let Some(p) = compile(f) else { return false };
    let (a, b) = msg.cuts[s];
    let n = msg.pieces.len();
    (a.saturating_sub(super::MAX_SPAN)..=a)
        .any(|i| (b..=n.min(i + super::MAX_SPAN)).any(|j| p.matches(&msg.pieces[i..j].join(": "))))
}

/// Does a call whose arguments start `args` stay open to its end? Parentheses are counted
/// outside string and rune literals.
fn still_open(args: &str) -> bool {
    let mut depth = 1i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in args.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '`' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return false;
                    }
                }
                _ => {}
            },
        }
    }
    true
}

/// The message after segment `s` (cut short).
fn rest(msg: &Message, s: usize) -> String {
    let r = msg.pieces[msg.cuts[s].1..].join(": ");
    if r.chars().count() > 80 {
        format!("{}…", r.chars().take(80).collect::<String>())
    } else {
        r
    }
}

fn site_label(function: Option<&str>, path: &str, line: u32) -> String {
    match function {
        Some(f) => format!("{f} ({path}:{line})"),
        None => format!("{path}:{line}"),
    }
}

/// Hops with permalinks at `rev`.
fn cited(hops: &[Hop], rev: &IndexedRev) -> Vec<Hop> {
    hops.iter()
        .map(|h| Hop {
            url: Some(permalink(&rev.url, &rev.commit, &h.path, h.line, h.line)),
            ..h.clone()
        })
        .collect()
}

fn chosen(o: &Opt, rev: &IndexedRev, seg: &Segment) -> Chosen {
    let site = &seg.candidates[o.cand].sites[o.site];
    Chosen {
        candidate: o.cand,
        site: o.site,
        at: format!("{}@{}", rev.repo, rev.rev),
        url: permalink(
            &rev.url,
            &rev.commit,
            &site.cite.path,
            site.cite.start,
            site.cite.end,
        ),
        vendored: rev
            .vendored_module(&site.cite.path)
            .map(|m| format!("{} {}", m.module, m.version)),
        wrapped_at: o.wrap.clone(),
        shape: o.shape.text().to_string(),
    }
}

/// The option of each segment maximising routes found and consistent shapes (a Viterbi walk
/// over the segments); None for a segment without options.
fn best_sequence(opts: &[Vec<Opt>], routes: &[Routes]) -> Vec<Option<usize>> {
    let own = |o: &Opt| o.shape.score() - 50 * o.cand as i64 - o.site as i64;
    // best[k][j]: the best score of a chain ending at option j of segment k, and its previous.
    let mut best: Vec<Vec<(i64, Option<usize>)>> = Vec::new();
    for (k, os) in opts.iter().enumerate() {
        let row = os
            .iter()
            .enumerate()
            .map(|(j, o)| {
                let prev = if k == 0 {
                    None
                } else {
                    best[k - 1]
                        .iter()
                        .enumerate()
                        .map(|(i, (score, _))| {
                            let r = routes[k - 1].get(&(i, j)).map_or(0, Found::score);
                            (score + r, i)
                        })
                        .max_by_key(|(score, i)| (*score, std::cmp::Reverse(*i)))
                };
                match prev {
                    Some((score, i)) => (score + own(o), Some(i)),
                    None => (own(o), None),
                }
            })
            .collect();
        best.push(row);
    }
    let mut picks = vec![None; opts.len()];
    // From the last segment with options backwards; a segment without options breaks the walk.
    let mut k = opts.len();
    while k > 0 {
        k -= 1;
        let Some((j, _)) = best[k]
            .iter()
            .enumerate()
            .max_by_key(|(j, (score, _))| (*score, std::cmp::Reverse(*j)))
        else {
            continue;
        };
        let mut j = j;
        loop {
            picks[k] = Some(j);
            match best[k][j].1 {
                Some(i) if k > 0 => {
                    k -= 1;
                    j = i;
                }
                _ => break,
            }
        }
    }
    picks
}

/// The link between two segments of one part, with the routes not taken.
fn link(
    (a, b): (usize, usize),
    (oa, ob): (&[Opt], &[Opt]),
    (pa, pb): (Option<usize>, Option<usize>),
    (routes, other): (&Routes, Option<Vec<Hop>>),
    children: &[ChildStart],
    rev: &IndexedRev,
    first: bool,
) -> Link {
    let at = format!("{}@{}", rev.repo, rev.rev);
    let name = |o: &Opt| o.label.split(" (").next().unwrap_or(&o.label).to_string();
    let (Some(i), Some(j)) = (pa, pb) else {
        return Link {
            from: a,
            to: b,
            at: Some(at.clone()),
            how: format!("no site of one of the two segments is in the reference graph of {at}"),
            hops: Vec::new(),
            boundary: false,
            alternatives: Vec::new(),
        };
    };
    let (x, y) = (&oa[i], &ob[j]);
    let found = routes.get(&(i, j));
    let (how, hops, boundary) = match found.and_then(|f| f.route.as_ref()) {
        None if found.is_some_and(|f| !f.avoided.is_empty()) => (
            format!(
                "every call path from {} to {} in the reference graph of {at} wraps the error in words the message does not hold (below)",
                name(x),
                name(y)
            ),
            Vec::new(),
            false,
        ),
        None => (
            format!(
                "no call path from {} to {} in the reference graph of {at}",
                name(x),
                name(y)
            ),
            Vec::new(),
            false,
        ),
        Some(Route::Same) => (
            format!("{} makes both in one function", name(x)),
            Vec::new(),
            false,
        ),
        Some(Route::Calls(h, _)) => (describe(x, y, h), h.clone(), false),
        Some(Route::Child { start, hops }) => {
            let c = &children[*start];
            (
                format!(
                    "process boundary: {} reports an error its child process wrote back to it; the child is this program run as `{}` (its command built at {}), whose entry point {} (checking os.Args at {}) reaches {} through {} call{}: {}",
                    name(x),
                    c.word,
                    c.spawn,
                    c.entry.as_str(),
                    c.entry_at,
                    name(y),
                    hops.len(),
                    if hops.len() == 1 { "" } else { "s" },
                    hop_names(hops)
                ),
                hops.clone(),
                true,
            )
        }
    };
    let mut alternatives: Vec<(i64, Alternative)> = Vec::new();
    // Routes to the chosen site set aside because a hop wraps the error in other words.
    for (via, why) in found.map(|f| f.avoided.as_slice()).unwrap_or_default() {
        alternatives.push((
            i64::MAX,
            Alternative {
                via: via.clone(),
                verdict: Verdict::Contradicted,
                why: why.clone(),
                hops: Vec::new(),
            },
        ));
    }
    // Another route to the chosen site: the message does not tell the two apart.
    if let Some(h) = other {
        alternatives.push((
            i64::MAX - 1,
            Alternative {
                via: another_route(&h, &hops),
                verdict: Verdict::Possible,
                why: format!(
                    "reaches the same site through {} call{} (against {}); nothing in the message tells the two apart",
                    h.len(),
                    if h.len() == 1 { "" } else { "s" },
                    hops.len()
                ),
                hops: h,
            },
        ));
    }
    let mut weigh = |p: usize, q: usize, other: &Opt| {
        let route = routes.get(&(p, q)).and_then(|f| f.route.as_ref());
        let (verdict, why) = match (&other.shape, route) {
            (Shape::Contradicted(t), _) => (Verdict::Contradicted, t.clone()),
            (_, None) => (
                Verdict::Unreached,
                format!("no call path between {} and {}", name(&oa[p]), name(&ob[q])),
            ),
            (_, Some(r)) => (
                Verdict::Possible,
                format!(
                    "also consistent with the message; ranked after the chosen route ({} hop{} against {}; {})",
                    r.hops().len(),
                    if r.hops().len() == 1 { "" } else { "s" },
                    hops.len(),
                    other.shape.text()
                ),
            ),
        };
        let score = route.map_or(0, Route::score) + other.shape.score();
        // A route ruled out by the code's own text needs no hops to say so.
        let hops = match verdict {
            Verdict::Contradicted => Vec::new(),
            _ => route.map(|r| r.hops().to_vec()).unwrap_or_default(),
        };
        alternatives.push((
            score,
            Alternative {
                via: other.label.clone(),
                verdict,
                why,
                hops,
            },
        ));
    };
    for (q, other) in ob.iter().enumerate() {
        if q != j && other.label != y.label {
            weigh(i, q, other);
        }
    }
    // The outer segment's other sites were weighed by the link before this one.
    if first {
        for (p, other) in oa.iter().enumerate() {
            if p != i && other.label != x.label {
                weigh(p, j, other);
            }
        }
    }
    alternatives.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.via.cmp(&b.1.via)));
    // Worth a reader's time: routes ruled out by the code's own text, and consistent ones
    // about as short as the chosen route; an unreached site only when nothing else is shown.
    let mut seen = std::collections::HashSet::new();
    let mut alternatives: Vec<Alternative> = alternatives
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| seen.insert(a.via.clone()))
        .collect();
    let unreached = alternatives
        .iter()
        .position(|a| a.verdict == Verdict::Unreached);
    let unreached = unreached.map(|u| alternatives[u].clone());
    alternatives.retain(|a| match a.verdict {
        Verdict::Contradicted => true,
        Verdict::Possible => a.hops.len() <= hops.len() + 3,
        Verdict::Unreached => false,
    });
    alternatives.truncate(5);
    if alternatives.is_empty()
        && let Some(u) = unreached
    {
        alternatives.push(u);
    }
    Link {
        from: a,
        to: b,
        at: Some(at),
        how,
        hops,
        boundary,
        alternatives,
    }
}

/// `WriteSysctls reaches procfsLookupInRoot through 6 calls: ...`, naming the wrap for a
/// sentinel.
fn describe(x: &Opt, y: &Opt, hops: &[Hop]) -> String {
    let short = |o: &Opt| o.label.split(" (").next().unwrap_or(&o.label).to_string();
    let target = match &y.wrap {
        Some(w) => format!("{} (which wraps it at {}:{})", w.function, w.path, w.line),
        None => short(y),
    };
    let source = short(x);
    match (hops, &x.wrap) {
        ([h], Some(w)) => format!(
            "{} wraps the sentinel ({}:{}) around the error of {} ({}:{})",
            w.function, w.path, w.line, h.to, h.path, h.line
        ),
        ([h], None) => match &y.wrap {
            Some(w) => format!(
                "{source} calls {} ({}:{}), which wraps the sentinel at {}:{}",
                h.to, h.path, h.line, w.path, w.line
            ),
            None => format!("{source} calls {} ({}:{})", h.to, h.path, h.line),
        },
        _ => format!(
            "{source} reaches {target} through {} calls: {}",
            hops.len(),
            hop_names(hops)
        ),
    }
}

/// `main.init → libcontainer.Init → sys.WriteSysctls`.
/// How another route to the chosen site is named: by its functions, or, when it calls the same
/// functions as the chosen route (a function calling the next one from two places), by the call
/// sites where the two differ, so the two never read alike.
fn another_route(other: &[Hop], chosen: &[Hop]) -> String {
    let names = hop_names(other);
    if names != hop_names(chosen) {
        return format!("another route: {names}");
    }
    let differ: Vec<String> = other
        .iter()
        .zip(chosen)
        .filter(|(o, c)| (o.path.as_str(), o.line) != (c.path.as_str(), c.line))
        .map(|(o, c)| {
            let theirs = if o.path == c.path {
                format!(":{}", c.line)
            } else {
                format!("{}:{}", c.path, c.line)
            };
            format!(
                "{} → {} at {}:{} (not {theirs})",
                o.from, o.to, o.path, o.line
            )
        })
        .collect();
    format!(
        "another route through the same functions: {}",
        differ.join("; ")
    )
}

fn hop_names(hops: &[Hop]) -> String {
    let mut names: Vec<&str> = hops.iter().take(1).map(|h| h.from.as_str()).collect();
    names.extend(hops.iter().map(|h| h.to.as_str()));
    names.join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(from: &str, to: &str, path: &str, line: u32) -> Hop {
        Hop {
            from: from.into(),
            to: to.into(),
            path: path.into(),
            line,
            certainty: crate::xref::Certainty::Exact,
            url: None,
        }
    }

    #[test]
    fn a_route_through_the_same_functions_is_named_by_the_call_site_that_differs() {
        let chosen = [
            hop("a", "open", "x.go", 10),
            hop("open", "lookup", "p.go", 328),
        ];
        let other = [
            hop("a", "open", "x.go", 10),
            hop("open", "lookup", "p.go", 344),
        ];
        assert_eq!(
            another_route(&other, &chosen),
            "another route through the same functions: open → lookup at p.go:344 (not :328)"
        );
        let elsewhere = [hop("a", "run", "x.go", 12), hop("run", "lookup", "q.go", 7)];
        assert_eq!(
            another_route(&elsewhere, &chosen),
            "another route: a → run → lookup"
        );
    }

    #[test]
    fn the_wrapping_format_is_the_open_call_around_the_use() {
        let code = "return fmt.Errorf(\"%w: subpath %s has an overmount (\\\"x\\\")\",\n\terrX, p)";
        assert_eq!(
            wrapping_format(code, "errX"),
            Some(("%w: subpath %s has an overmount (\"x\")".to_string(), 0))
        );
        let closed = "if x {\n\treturn fmt.Errorf(\"foo (%s)\", a)\n}\nreturn wrapBase(err, errX)";
        assert_eq!(wrapping_format(closed, "errX"), None);
        assert!(compares("\treturn errors.Is(err, errX)", "errX"));
        assert!(compares("if err == errX {", "errX"));
        assert!(!compares("return nil, wrapBase(err, errX)", "errX"));
    }
}
