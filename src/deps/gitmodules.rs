//! `.gitmodules`: each submodule's path and url. The commit a revision pins is the tree's
//! gitlink, not in this file: edges carry [`Origin::Gitlink`] and an empty version until
//! [`super::with_gitlinks`] fills it. Must not read the tree.

use super::lex::Lines;
use super::{DepEdge, EdgeKind, Origin, SourceUrl};

pub(super) fn extract(text: &str, out: &mut Vec<DepEdge>) {
    let lines = Lines::new(text);
    // (path, its 0-based line and byte column), (url, its 1-based line)
    let mut path: Option<(String, usize, usize)> = None;
    let mut url: Option<SourceUrl> = None;
    let mut flush = |path: &mut Option<(String, usize, usize)>, url: &mut Option<SourceUrl>| {
        if let (Some((p, l, col)), Some(u)) = (path.take(), url.take()) {
            let t = lines.text(l);
            out.push(DepEdge {
                kind: EdgeKind::Submodule,
                line: l as u32 + 1,
                column: t[..col].chars().count() as u32 + 1,
                text: t.to_string(),
                name: p,
                version: String::new(),
                origin: Origin::Gitlink,
                url: Some(u),
                replaced_by: None,
            });
        }
    };
    for l in 0..lines.len() {
        let raw = lines.text(l);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') {
            flush(&mut path, &mut url);
            continue;
        }
        let Some((key, value)) = t.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        let col = raw.find(value).unwrap_or(0);
        match key.trim() {
            "path" => path = Some((value.to_string(), l, col)),
            "url" => {
                url = Some(SourceUrl {
                    url: value.to_string(),
                    line: l as u32 + 1,
                })
            }
            _ => {}
        }
    }
    flush(&mut path, &mut url);
}

#[cfg(test)]
mod tests {
    use super::super::{EdgeKind, Origin, extract};

    #[test]
    fn submodules_are_edges_with_path_and_url() {
        let text = "[submodule \"fs\"]\n\tpath = fs\n\turl = ../fs.git\n# [submodule \"old\"]\n[submodule \"ipc\"]\n\turl = https://example.org/acme/ipc.git\n\tpath = ipc\n\tbranch = main\n";
        let edges = extract(".gitmodules", text);
        let got: Vec<(&str, u32, u32, &str, u32)> = edges
            .iter()
            .map(|e| {
                let u = e.url.as_ref().unwrap();
                (e.name.as_str(), e.line, e.column, u.url.as_str(), u.line)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("fs", 2, 9, "../fs.git", 3),
                ("ipc", 7, 9, "https://example.org/acme/ipc.git", 6)
            ]
        );
        assert!(
            edges
                .iter()
                .all(|e| e.kind == EdgeKind::Submodule && e.origin == Origin::Gitlink)
        );
    }
}
