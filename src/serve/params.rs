//! Request input: the query string parsed into named values and checked against what each
//! route takes (known names, sizes, counts), and file paths checked before they reach the
//! index. Everything a client sends passes through here first; nothing here reads the index.

use super::error::HttpError;

/// The longest query string accepted (an explain message is the largest value).
pub(crate) const MAX_QUERY_STRING: usize = 64 * 1024;
/// The longest search query (`q=`, `search=`).
pub(crate) const MAX_QUERY: usize = 2048;
/// The longest error message `explain` takes.
pub(crate) const MAX_MESSAGE: usize = 16 * 1024;
/// The longest `REPO@REV` selector, repository name, rule id or language name.
pub(crate) const MAX_NAME: usize = 256;
/// The longest repository-relative path (in file views and `path=` patterns).
pub(crate) const MAX_PATH: usize = 4096;
/// How many values one name may repeat (`at=`, `repo=`, `rule=`).
pub(crate) const MAX_REPEAT: usize = 64;

/// How large a value of a parameter may be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Size {
    /// A search query.
    Query,
    /// An error message.
    Message,
    /// A selector, name or id.
    Name,
    /// A path or path pattern.
    Path,
    /// A small number.
    Number,
}

impl Size {
    fn max(self) -> usize {
        match self {
            Size::Query => MAX_QUERY,
            Size::Message => MAX_MESSAGE,
            Size::Name => MAX_NAME,
            Size::Path => MAX_PATH,
            Size::Number => 20,
        }
    }
}

/// The parameters a route takes: name and size.
pub(crate) type Accepts = &'static [(&'static str, Size)];

/// A query string's values, checked against what the route accepts.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `raw` (the part after `?`), refusing unknown names, oversized values and too many
    /// repeats, with a message that says what the route takes.
    pub(crate) fn parse(raw: Option<&str>, accepts: Accepts) -> Result<Params, HttpError> {
        let raw = raw.unwrap_or("");
        if raw.len() > MAX_QUERY_STRING {
            return Err(HttpError::too_long(format!(
                "the query string is {} bytes; at most {MAX_QUERY_STRING} are accepted",
                raw.len()
            )));
        }
        let mut pairs = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            let Some((_, size)) = accepts.iter().find(|(n, _)| *n == k) else {
                let names: Vec<&str> = accepts.iter().map(|(n, _)| *n).collect();
                return Err(HttpError::bad_request(format!(
                    "unknown parameter {k:?}: this page takes {}",
                    if names.is_empty() {
                        "no parameters".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            };
            if v.len() > size.max() {
                return Err(HttpError::too_long(format!(
                    "parameter {k} is {} bytes long; at most {} are accepted",
                    v.len(),
                    size.max()
                )));
            }
            if v.contains('\0') {
                return Err(HttpError::bad_request(format!(
                    "parameter {k} holds a NUL byte"
                )));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        for (name, _) in accepts {
            let n = pairs.iter().filter(|(k, _)| k == name).count();
            if n > MAX_REPEAT {
                return Err(HttpError::bad_request(format!(
                    "parameter {name} is given {n} times; at most {MAX_REPEAT} are accepted"
                )));
            }
        }
        Ok(Params { pairs })
    }

    /// The last non-empty value of `name` (forms send empty fields; a repeated single-valued
    /// parameter takes the last one, as flags do).
    pub(crate) fn one(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`, trimmed, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// A checkbox or flag: present with any value but `0`/`false`/`off`.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.one(name)
            .is_some_and(|v| !matches!(v, "0" | "false" | "off"))
    }

    /// A non-negative number.
    pub(crate) fn number(&self, name: &str) -> Result<Option<usize>, HttpError> {
        self.one(name)
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| {
                    HttpError::bad_request(format!(
                        "parameter {name}={v:?} is not a non-negative whole number"
                    ))
                })
            })
            .transpose()
    }
}

/// A repository-relative path from a URL: no empty, `.` or `..` component, no leading `/` or
/// backslash, no control characters, at most [`MAX_PATH`] bytes. The index decides whether the
/// file exists; this only refuses what can never name an indexed file.
pub(crate) fn check_path(path: &str) -> Result<(), HttpError> {
    if path.is_empty() {
        return Err(HttpError::bad_request(
            "no file path: the URL is /file/REPO/REV/PATH".to_string(),
        ));
    }
    if path.len() > MAX_PATH {
        return Err(HttpError::too_long(format!(
            "the path is {} bytes long; at most {MAX_PATH} are accepted",
            path.len()
        )));
    }
    if path.starts_with('/') || path.contains('\\') {
        return Err(HttpError::bad_request(format!(
            "path {path:?} is not repository-relative: give it as in the repository (a/b.go)"
        )));
    }
    if path.chars().any(char::is_control) {
        return Err(HttpError::bad_request(format!(
            "path {path:?} holds a control character"
        )));
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(HttpError::bad_request(format!(
            "path {path:?} has an empty, `.` or `..` component: only paths as stored in the index are served"
        )));
    }
    Ok(())
}

/// Splits the search box's text into the query and the `REPO@REV` selectors in it: a word
/// outside quotes whose part before `@` names a pinned repository selects revisions the way
/// `--at` does. Every other word stays in the query as typed.
pub(crate) fn split_selectors(text: &str, is_repo: impl Fn(&str) -> bool) -> (String, Vec<String>) {
    let mut query = String::new();
    let mut at = Vec::new();
    let mut in_quote = false;
    for word in words(text) {
        let quotes = word.matches('"').count();
        let selector = !in_quote
            && quotes == 0
            && !word.starts_with('-')
            && word
                .split_once('@')
                .is_some_and(|(r, v)| !v.is_empty() && is_repo(r));
        if quotes % 2 == 1 {
            in_quote = !in_quote;
        }
        if selector {
            at.push(word.to_string());
        } else {
            if !query.is_empty() {
                query.push(' ');
            }
            query.push_str(word);
        }
    }
    (query, at)
}

/// The box's text again, from a query and its selectors.
pub(crate) fn join_selectors(query: &str, at: &[String]) -> String {
    let mut s = query.to_string();
    for a in at {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(a);
    }
    s
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(char::is_whitespace).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEARCH: Accepts = &[("q", Size::Query), ("at", Size::Name)];

    #[test]
    fn unknown_names_oversized_values_and_repeats_are_refused() {
        let e = Params::parse(Some("q=x&bogus=1"), SEARCH).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.contains("\"bogus\"") && e.message.contains("q, at"));
        let long = format!("q={}", "a".repeat(MAX_QUERY + 1));
        assert_eq!(
            Params::parse(Some(&long), SEARCH)
                .unwrap_err()
                .status
                .as_u16(),
            414
        );
        let many = vec!["at=r@v"; MAX_REPEAT + 1].join("&");
        assert_eq!(
            Params::parse(Some(&many), SEARCH)
                .unwrap_err()
                .status
                .as_u16(),
            400
        );
        let p = Params::parse(Some("q=open%20at&at=a@1&at=&at=b@2"), SEARCH).unwrap();
        assert_eq!(p.one("q"), Some("open at"));
        assert_eq!(p.all("at"), vec!["a@1", "b@2"]);
    }

    #[test]
    fn paths_that_cannot_be_stored_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../b",
            "a//b",
            "a/./b",
            "a\\b",
            "a\nb",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        for good in [
            "a.go",
            "libcontainer/utils/utils_unix.go",
            ".github/x.yml",
            "a..b",
        ] {
            assert!(check_path(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn selectors_of_pinned_repositories_leave_the_query() {
        let repo = |r: &str| r == "runc";
        let (q, at) = split_selectors("openat2 runc@v1.3.3 -path:vendor/", repo);
        assert_eq!(
            (q.as_str(), at),
            ("openat2 -path:vendor/", vec!["runc@v1.3.3".into()])
        );
        let (q, at) = split_selectors("\"mail runc@x\" user@host", repo);
        assert_eq!((q.as_str(), at.len()), ("\"mail runc@x\" user@host", 0));
        assert_eq!(
            join_selectors("openat2", &["runc@v1.3.3".into()]),
            "openat2 runc@v1.3.3"
        );
    }
}
