//! The names a reader types for a function: `F`, `pkg.F`, `T.M`, `(*T).M`, `pkg.T.M`,
//! `pkg.(*T).M`, a package path prefix (`internal/sys.WriteSysctls`), a Rust path
//! (`Type::method`, `module::f`, `module::Type::method`, `crate_name::a::b::f`), or a shell
//! function name (which may hold `.`, `-`, `:`). Parsing and matching only; no graph walking.

use std::fmt;

use super::{Node, NodeKind};
use crate::lang::Lang;

/// A parsed function name, matched against graph nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    raw: String,
    /// `sys`, `internal/sys`, or `T` when the reader wrote `T.M` (it may be either).
    qualifier: Option<String>,
    /// Set when the form says the qualifier part is a receiver type: `(*T).M`, `pkg.T.M`.
    receiver: Option<String>,
    ident: String,
}

/// Why a name does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// An empty name.
    #[error("empty function name: give one as F, pkg.F, T.M or (*T).M")]
    Empty,
    /// A name with whitespace.
    #[error("function name {0:?} holds whitespace: give one as F, pkg.F, T.M or (*T).M")]
    Whitespace(String),
    /// A malformed receiver.
    #[error("function name {0:?} is not of the form (*T).M or pkg.(*T).M")]
    Receiver(String),
}

impl NameError {
    /// The 1-based column (in characters) of the problem in the name as given (trimmed).
    pub fn column(&self) -> usize {
        match self {
            NameError::Empty => 1,
            NameError::Whitespace(s) => s.chars().position(char::is_whitespace).unwrap_or(0) + 1,
            NameError::Receiver(s) => {
                let col = |byte: usize| s[..byte].chars().count() + 1;
                let open = s.find('(').unwrap_or(0);
                match s[open..].find(')').map(|c| open + c) {
                    // The `)` closing the receiver is missing: it belongs at the end.
                    None => col(s.len()),
                    Some(close) if !s[close + 1..].starts_with('.') || close + 2 > s.len() => {
                        col(close + 1)
                    }
                    Some(close) if !is_ident(&s[close + 2..]) => col(close + 2),
                    Some(_) => col(open + 1),
                }
            }
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Name {
    /// Reads a name in any of the forms above. Forms that are not Go-shaped are kept whole,
    /// for shell names; only empty names, whitespace and malformed receivers are errors.
    pub fn parse(s: &str) -> Result<Name, NameError> {
        let raw = s.trim();
        if raw.is_empty() {
            return Err(NameError::Empty);
        }
        if raw.contains(char::is_whitespace) {
            return Err(NameError::Whitespace(raw.to_string()));
        }
        let mut name = Name {
            raw: raw.to_string(),
            qualifier: None,
            receiver: None,
            ident: raw.to_string(),
        };
        if let Some(open) = raw.find('(') {
            // [pkg.](*T).M or [pkg.](T).M
            let (pkg, rest) = raw.split_at(open);
            let close = rest
                .find(')')
                .ok_or_else(|| NameError::Receiver(raw.to_string()))?;
            let recv = rest[1..close].trim_start_matches('*');
            let ident = rest[close + 1..]
                .strip_prefix('.')
                .ok_or_else(|| NameError::Receiver(raw.to_string()))?;
            if recv.is_empty() || ident.is_empty() || !is_ident(recv) || !is_ident(ident) {
                return Err(NameError::Receiver(raw.to_string()));
            }
            name.receiver = Some(recv.to_string());
            name.ident = ident.to_string();
            let pkg = pkg.strip_suffix('.').unwrap_or(pkg);
            name.qualifier = (!pkg.is_empty()).then(|| pkg.to_string());
            return Ok(name);
        }
        if raw.contains("::") {
            // `crates/x/src/a.Type::m`: a file's directory before a Rust path (as explain
            // qualifies a function by where it stands) narrows nothing a Rust path does not.
            let (head, _) = raw.split_once("::").unwrap_or((raw, ""));
            let path = match head.rfind('.') {
                Some(i) if head.contains('/') || !is_ident(&head[..i]) => &raw[i + 1..],
                _ => raw,
            };
            let parts: Vec<&str> = path.split("::").collect();
            if parts.iter().all(|p| is_ident(p)) {
                let n = parts.len();
                name.ident = parts[n - 1].to_string();
                let before = parts[n - 2];
                // `Type::m`, `module::Type::m`: an upper-case segment before the name is a type.
                if before.starts_with(|c: char| c.is_uppercase()) {
                    name.receiver = Some(before.to_string());
                    name.qualifier = (n > 2).then(|| parts[..n - 2].join("::"));
                } else {
                    name.qualifier = Some(parts[..n - 1].join("::"));
                }
            }
            return Ok(name);
        }
        let (dir, tail) = match raw.rsplit_once('/') {
            Some((d, t)) => (Some(d), t),
            None => (None, raw),
        };
        let parts: Vec<&str> = tail.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) || !parts.iter().all(|p| is_ident(p)) {
            // Not a Go form: a shell name such as `lib.sh-helper`; matched whole.
            return Ok(name);
        }
        let with_dir = |p: &str| match dir {
            Some(d) => format!("{d}/{p}"),
            None => p.to_string(),
        };
        match parts.as_slice() {
            [ident] if dir.is_none() => name.ident = ident.to_string(),
            [q, ident] => {
                name.qualifier = Some(with_dir(q));
                name.ident = ident.to_string();
            }
            [pkg, recv, ident] => {
                name.qualifier = Some(with_dir(pkg));
                name.receiver = Some(recv.to_string());
                name.ident = ident.to_string();
            }
            _ => {}
        }
        Ok(name)
    }

    /// The bare name every match has as its ident.
    pub fn ident(&self) -> &str {
        &self.ident
    }

    /// As the reader wrote it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub(super) fn matches(&self, n: &Node) -> bool {
        if n.lang == Lang::Shell {
            return *n.name == *self.raw
                || (self.qualifier.is_none()
                    && self.receiver.is_none()
                    && *n.ident == *self.ident);
        }
        if n.kind == NodeKind::Script || *n.ident != *self.ident {
            return false;
        }
        match (&self.receiver, &self.qualifier) {
            (Some(r), q) => {
                n.receiver.as_deref() == Some(r.as_str())
                    && q.as_deref().is_none_or(|q| package_matches(n, q))
            }
            (None, Some(q)) => {
                if n.receiver.is_some() {
                    n.receiver.as_deref() == Some(q.as_str())
                } else {
                    package_matches(n, q)
                }
            }
            (None, None) => true,
        }
    }
}

/// `sys` names the package called `sys` or the directory `.../sys`; `internal/sys` and full
/// import paths match the package's import path or directory by whole trailing elements.
fn package_matches(n: &Node, q: &str) -> bool {
    if q.contains("::") || n.lang == Lang::Rust {
        // A Rust module path: whole trailing segments of the node's (`libcontainer::a::b`).
        let m = n.import_path.as_deref().unwrap_or("");
        return m == q || m.ends_with(&format!("::{q}"));
    }
    let ends = |s: &str| s == q || s.ends_with(&format!("/{q}"));
    if !q.contains('/') && n.package.as_deref() == Some(q) {
        return true;
    }
    n.import_path.as_deref().is_some_and(ends)
        || (!n.dir.is_empty() && ends(&n.dir[..]))
        || (n.kind == NodeKind::External && n.package.as_deref() == Some(q))
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (Option<String>, Option<String>, String) {
        let n = Name::parse(s).unwrap();
        (n.qualifier, n.receiver, n.ident)
    }

    #[test]
    fn forms() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(parts("WriteSysctls"), (None, None, "WriteSysctls".into()));
        assert_eq!(
            parts("sys.WriteSysctls"),
            (s("sys"), None, "WriteSysctls".into())
        );
        assert_eq!(
            parts("(*linuxStandardInit).Init"),
            (None, s("linuxStandardInit"), "Init".into())
        );
        assert_eq!(
            parts("libcontainer.(*linuxStandardInit).Init"),
            (s("libcontainer"), s("linuxStandardInit"), "Init".into())
        );
        assert_eq!(
            parts("libcontainer.linuxStandardInit.Init"),
            (s("libcontainer"), s("linuxStandardInit"), "Init".into())
        );
        assert_eq!(
            parts("internal/sys.WriteSysctls"),
            (s("internal/sys"), None, "WriteSysctls".into())
        );
        assert_eq!(parts("lib.sh-helper"), (None, None, "lib.sh-helper".into()));
        assert_eq!(parts("Init::apply"), (None, s("Init"), "apply".into()));
        assert_eq!(
            parts("crates/x/src/init.Init::apply"),
            (None, s("Init"), "apply".into())
        );
        assert_eq!(
            parts("init::process::sysctl"),
            (s("init::process"), None, "sysctl".into())
        );
        assert_eq!(
            parts("procfs::ProcfsHandle::open"),
            (s("procfs"), s("ProcfsHandle"), "open".into())
        );
        assert_eq!(Name::parse(" "), Err(NameError::Empty));
        assert!(matches!(Name::parse("(*T.M"), Err(NameError::Receiver(_))));
        assert!(matches!(Name::parse("a b"), Err(NameError::Whitespace(_))));
    }

    #[test]
    fn errors_name_their_column() {
        let col = |s: &str| Name::parse(s).unwrap_err().column();
        assert_eq!(col("a b"), 2);
        assert_eq!(col("(*T.M"), 6);
        assert_eq!(col("(*T)M"), 5);
        assert_eq!(col("(*T).1x"), 6);
        assert_eq!(col("(*).M"), 2);
    }
}
