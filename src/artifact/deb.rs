//! Debian package metadata: the fields of `control` (from `control.tar.*`) that say which
//! upstream a package repacks. Parsing only; reading the package is `walk`'s job.

use serde::Serialize;

use super::Provenance;

/// The control fields of a Debian package that matter for identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebPackage {
    /// Display path of the control file: `runc_1.1.5+ds1-1_amd64.deb!control.tar.xz!./control`.
    pub control: String,
    /// The binary package name.
    pub package: String,
    /// The full Debian version: `[epoch:]upstream[-revision]`, e.g. `1.1.5+ds1-1+deb12u1`.
    pub version: String,
    /// The architecture (`amd64`).
    pub architecture: Option<String>,
    /// The source package name (`Source:`, defaulting to the package name).
    pub source: String,
    /// The control file has a `Source:` field (else `source` is the package name, not read).
    pub source_given: bool,
    /// The source version when `Source: name (version)` gives one that differs.
    pub source_version: Option<String>,
    /// The Depends field as written.
    pub depends: Option<String>,
    /// `Built-Using`: the packages (and versions) whose code was compiled in; for a Go
    /// package, its dependencies as Debian packaged them.
    pub built_using: Vec<(String, String)>,
    /// The upstream homepage, when given.
    pub homepage: Option<String>,
}

impl DebPackage {
    /// Where a field of this package was read.
    pub fn provenance(&self, field: &str) -> Provenance {
        Provenance::Control {
            control: self.control.clone(),
            field: field.to_string(),
        }
    }
}

/// Parses a `control` file (deb822 paragraph: `Field: value` with continuation lines).
/// `None` when it has no `Package` or `Version` field.
pub(crate) fn parse_control(text: &str, control: String) -> Option<DebPackage> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if fields.is_empty() {
                continue;
            }
            break; // one paragraph
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let package = get("package")?;
    let version = get("version")?;
    let source_given = get("source").is_some();
    let (source, source_version) = match get("source") {
        Some(s) => match s.split_once('(') {
            Some((name, ver)) => (
                name.trim().to_string(),
                Some(ver.trim_end_matches(')').trim().to_string()),
            ),
            None => (s, None),
        },
        None => (package.clone(), None),
    };
    Some(DebPackage {
        control,
        package,
        version,
        architecture: get("architecture"),
        source,
        source_given,
        source_version,
        depends: get("depends"),
        built_using: get("built-using")
            .map(|b| parse_built_using(&b))
            .unwrap_or_default(),
        homepage: get("homepage"),
    })
}

/// `a (= 1.0-1), b (= 2.0)` -> `[(a, 1.0-1), (b, 2.0)]`.
fn parse_built_using(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .filter_map(|item| {
            let item = item.trim();
            let (name, rest) = item.split_once('(')?;
            let ver = rest.trim_end_matches(')').trim();
            let ver = ver.strip_prefix('=').unwrap_or(ver).trim();
            Some((name.trim().to_string(), ver.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fields_with_continuations_and_source_version() {
        let text = "Package: toolbox\nVersion: 1:2.0.1+ds1-3~bpo12+1\nArchitecture: amd64\n\
                    Source: toolbox-src (2.0.1+ds1-3)\nDepends: libc6 (>= 2.34)\n\
                    Built-Using: golang-1.19 (= 1.19.8-2),\n golang-x-sys (= 0.3.0-1)\n\
                    Homepage: https://example.com/acme/toolbox\nDescription: a tool\n more text\n";
        let p = parse_control(text, "t.deb!control.tar.gz!./control".into()).unwrap();
        assert_eq!(p.package, "toolbox");
        assert_eq!(p.version, "1:2.0.1+ds1-3~bpo12+1");
        assert_eq!(p.source, "toolbox-src");
        assert_eq!(p.source_version.as_deref(), Some("2.0.1+ds1-3"));
        assert_eq!(
            p.built_using,
            vec![
                ("golang-1.19".to_string(), "1.19.8-2".to_string()),
                ("golang-x-sys".to_string(), "0.3.0-1".to_string())
            ]
        );
        assert_eq!(
            p.homepage.as_deref(),
            Some("https://example.com/acme/toolbox")
        );
        assert_eq!(
            p.provenance("Version").to_string(),
            "t.deb!control.tar.gz!./control: field Version"
        );
    }

    #[test]
    fn source_defaults_to_the_package_and_missing_version_is_none() {
        let p = parse_control("Package: a\nVersion: 1.0-1\n", "c".into()).unwrap();
        assert_eq!((p.source.as_str(), p.source_version), ("a", None));
        assert!(parse_control("Package: a\n", "c".into()).is_none());
    }
}
