//! The interfaces other tools read: every command's JSON Lines against the one documented
//! schema (docs/archeo.schema.json), SARIF 2.1.0 from `findings --format sarif` against the
//! OASIS schema (vendored in tests/schemas/), and shell completions and man pages generated
//! from the command-line definitions.

use crate::artifact_fixtures;
use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use artifact_fixtures::{FixtureFunc, Format, GoBinary, Pclntab};
use common::*;
use serde_json::Value;

/// The published SARIF 2.1.0 schema's `language` pattern has a stray `]`
/// (`...-[a-zA-Z]{2}]?$`), which a strict validator refuses to compile; it is corrected here,
/// in memory, to the pattern it means (the vendored file stays as published).
const SARIF_LANGUAGE_PATTERN: (&str, &str) = (
    "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
    "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
);

pub(crate) fn validator(path: &str) -> jsonschema::Validator {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace(SARIF_LANGUAGE_PATTERN.0, SARIF_LANGUAGE_PATTERN.1);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub(crate) fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every cited place anywhere in a record: `cite` objects and the items of `cites` lists.
fn cites<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "cite" {
                    out.push(x);
                }
                if let ("cites", Value::Array(a)) = (k.as_str(), x) {
                    out.extend(a);
                }
                cites(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| cites(x, out)),
        _ => {}
    }
}

/// The go_project fixture at v1.0.0..v1.2.0, indexed.
fn indexed() -> Workspace {
    let (ws, _, _) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

const MESSAGE: &str = "open sysctl net.ipv4.ip_forward file: unsafe procfs detected: openat2 /proc/sys/net: invalid cross-device link";

/// A Go binary built from `commit` of https://github.com/acme/proj, written into the workspace.
fn proj_binary(ws: &Workspace, name: &str, commit: &str) -> String {
    let bin = GoBinary::new(
        Format::Inline,
        &format!(
            "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\t(devel)\t\nbuild\tvcs=git\nbuild\tvcs.revision={commit}\nbuild\tvcs.modified=false\n"
        ),
    )
    // A function table too: `function_table` records are checked against the schema.
    .with_functions(
        Pclntab::Go120,
        vec![
            // At v1.2.0's lines (the commit the binary names).
            FixtureFunc::new("github.com/acme/proj/libct.processOpenat2", "libct/open.go", 14, 16),
            FixtureFunc::new("github.com/acme/proj/libct.newerThanAnyPin", "libct/new.go", 3, 5),
        ],
        &["github.com/acme/proj/libct.onlyInlined"],
    )
    .build();
    let p = ws.path().join(name);
    std::fs::write(&p, bin).unwrap();
    p.display().to_string()
}

/// Runs `args --format json`, checks every line against the schema, and returns the types
/// seen; every cited place (`cite`, and each of a `cites` list) goes into `shapes` under the
/// command's name.
fn json_records(
    ws: &Workspace,
    schema: &jsonschema::Validator,
    args: &[&str],
    shapes: &mut BTreeSet<(String, Vec<String>)>,
) -> BTreeSet<String> {
    let mut full = args.to_vec();
    full.extend(["--format", "json"]);
    let (code, out, err) = archeo(ws, &full);
    assert!(code == 0, "{args:?}: exit {code}: {err}");
    let mut types = BTreeSet::new();
    for line in out.lines() {
        let rec: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {line}"));
        let errs = errors(schema, &rec);
        assert!(errs.is_empty(), "{args:?}: {line}\n{}", errs.join("\n"));
        assert_eq!(rec["schema_version"], 1, "{line}");
        types.insert(rec["type"].as_str().unwrap().to_string());
        let mut cs = Vec::new();
        cites(&rec, &mut cs);
        for c in cs {
            let keys = c.as_object().unwrap().keys().cloned().collect();
            shapes.insert((args[0].to_string(), keys));
        }
    }
    types
}

#[test]
fn every_commands_json_lines_match_the_documented_schema_with_one_citation_shape() {
    let (ws, _) = shipper_project();
    let proj = ws.repo("proj");
    let schema = validator("docs/archeo.schema.json");
    let bin = proj_binary(&ws, "proj-bin", &proj.git(&["rev-parse", "v1.2.0"]));
    let commands: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["pins"], vec!["pin"]),
        (vec!["stats"], vec!["revision", "total"]),
        (vec!["rules", "list"], vec!["rule"]),
        (vec!["search", "openat2"], vec!["hit"]),
        (vec!["findings"], vec!["finding"]),
        (
            vec!["diff", "proj@v1.0.0", "proj@v1.2.0"],
            vec!["diff", "change", "module-change"],
        ),
        (
            vec!["diff", "shipper@v1.0", "shipper@v2.0"],
            vec!["diff", "dep-change"],
        ),
        (
            vec!["timeline", "--rule", "openat2-resolve-no-xdev"],
            vec!["track", "revision-count"],
        ),
        (vec!["explain", MESSAGE], vec!["explanation"]),
        (vec!["deps", "shipper@v2.0", "--all"], vec!["dep"]),
        (vec!["deps", "--find", "proj"], vec!["dep-release"]),
        (
            vec![
                "affected",
                "--rule",
                "openat2-resolve-no-xdev",
                "--repo",
                "shipper",
            ],
            vec!["affected", "affected-release"],
        ),
        (
            vec!["affected", "--rule", "openat2-resolve-no-xdev", "--first"],
            vec!["affected", "affected-first", "affected-release"],
        ),
        (
            vec!["identify", &bin, "--rule", "openat2-resolve-no-xdev"],
            vec!["artifact"],
        ),
    ];
    let mut shapes = BTreeSet::new();
    for (args, want) in &commands {
        let types = json_records(&ws, &schema, args, &mut shapes);
        for t in want {
            assert!(types.contains(*t), "{args:?}: no {t} record in {types:?}");
        }
    }
    // A release pinned after the index was built: identify says its findings are unknown.
    proj.write("libct/later.go", "package libct\n\nfunc Later() {}\n");
    let later = proj.commit("v1.3.0");
    proj.tag("v1.3.0");
    let (code, _, err) = run(github_archeo(&ws).arg("fetch"));
    assert_eq!(code, 0, "{err}");
    let newer = proj_binary(&ws, "proj-later", &later);
    let args = ["identify", &newer, "--rule", "openat2-resolve-no-xdev"];
    let types = json_records(&ws, &schema, &args, &mut shapes);
    assert!(types.contains("not-indexed"), "{types:?}");

    // One citation shape, in every command that cites code.
    let keys: BTreeSet<&Vec<String>> = shapes.iter().map(|(_, k)| k).collect();
    assert_eq!(keys.len(), 1, "{shapes:?}");
    let cited_by: BTreeSet<&str> = shapes.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        cited_by,
        BTreeSet::from([
            "search", "findings", "diff", "timeline", "explain", "deps", "affected", "identify"
        ])
    );
}

#[test]
fn the_schema_rejects_records_of_another_shape() {
    let schema = validator("docs/archeo.schema.json");
    // The flat shape search printed before schema 1: no cite object.
    let flat = serde_json::json!({
        "schema_version": 1, "type": "hit", "repo": "r", "path": "a.go", "line": 3,
        "text": "x", "symbol": null, "revs": [], "url": "u"
    });
    assert!(!errors(&schema, &flat).is_empty());
    let unknown = serde_json::json!({"schema_version": 1, "type": "hits"});
    assert!(!errors(&schema, &unknown).is_empty());
    let future = serde_json::json!({"schema_version": 2, "type": "pin"});
    assert!(!errors(&schema, &future).is_empty());
}

#[test]
fn findings_as_sarif_validate_against_the_sarif_2_1_0_schema() {
    let ws = indexed();
    let (code, out, err) = archeo(&ws, &["findings", "--format", "sarif"]);
    assert_eq!(code, 0, "{err}");
    let log: Value = serde_json::from_str(&out).unwrap();
    let errs = errors(&validator("tests/schemas/sarif-schema-2.1.0.json"), &log);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "archeo");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let (_, json, _) = archeo(&ws, &["findings", "--format", "json"]);
    let findings: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    assert!(!results.is_empty());
    for (r, f) in results.iter().zip(&findings) {
        assert_eq!(r["ruleId"], f["rule"]);
        // The rule's metadata is in the driver, at the index the result names.
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], f["rule"]);
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        let loc = &r["locations"][0]["physicalLocation"];
        // The fixture's upstream is a file:// URL: a path under a REPO@COMMIT base.
        assert_eq!(loc["artifactLocation"]["uri"], f["cite"]["path"]);
        assert_eq!(
            loc["artifactLocation"]["uriBaseId"],
            format!("proj@{}", f["cite"]["commit"].as_str().unwrap())
        );
        assert_eq!(loc["region"]["startLine"], f["cite"]["start"]);
        assert_eq!(r["properties"]["permalink"], f["cite"]["url"]);
    }
}

#[test]
fn completions_name_every_command_and_the_bash_script_parses() {
    let tmp = tempfile::tempdir().unwrap();
    let names: Vec<String> = archeo::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(names.contains(&"completions".to_string()) && names.len() > 10);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        // Outside any project: completions read no manifest.
        let mut c = assert_cmd::Command::cargo_bin("archeo").unwrap();
        let out = c
            .current_dir(tmp.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for n in &names {
            assert!(script.contains(n.as_str()), "{shell} completion lacks {n}");
        }
        if shell == "bash" {
            let f = tmp.path().join("archeo.bash");
            std::fs::write(&f, &script).unwrap();
            let st = std::process::Command::new("bash")
                .arg("-n")
                .arg(&f)
                .status()
                .unwrap();
            assert!(st.success(), "bash -n rejects the completion script");
        }
    }
}

#[test]
fn the_man_page_covers_every_command_and_man_dir_writes_one_page_each() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("archeo").unwrap();
        c.current_dir(tmp.path()).args(args).output().unwrap()
    };
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH archeo 1"),
        "{page}"
    );
    let names: Vec<String> = archeo::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for n in &names {
        assert!(
            page.contains(&format!("archeo\\-{n}")) || page.contains(n.as_str()),
            "{n}"
        );
    }
    let dir = tmp.path().join("man1");
    assert!(
        run(&["man", "--dir", dir.to_str().unwrap()])
            .status
            .success()
    );
    for n in &names {
        let p = dir.join(format!("archeo-{n}.1"));
        let text =
            std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("{} missing", p.display()));
        assert!(text.contains(".TH archeo-"), "{}", p.display());
    }
    assert!(dir.join("archeo.1").is_file());
    assert!(dir.join("archeo-rules-list.1").is_file());
}
