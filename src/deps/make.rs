//! Makefiles: variable definitions (`NAME ?= value`, `NAME := value`, `NAME = value`, with
//! `override`/`export`) outside recipes, with `$(NAME)` expansion of earlier definitions.
//! `$(shell ...)` and other functions are not evaluated. Must not read recipes as shell.

use super::VarUse;
use super::lex::{Env, Expansion, Lines, MAX_VALUE, Val, push_use};
use super::{DepEdge, EdgeKind, Require, edge_from};

pub(super) fn extract(text: &str, out: &mut Vec<DepEdge>) {
    let lines = Lines::new(text);
    let mut env = Env::new("");
    let mut in_rule = false;
    let mut in_define = false;
    let mut l = 0;
    while l < lines.len() {
        let (start, _, _) = lines.span(l);
        let raw = lines.text(l);
        let first = l;
        // A definition continued with `\` reads as one line; positions are on its first line.
        // Built in place: a file of thousands of continued lines stays linear.
        let mut logical = String::from(raw);
        while logical.trim_end().ends_with('\\') && l + 1 < lines.len() {
            let keep = logical.trim_end().len() - 1;
            logical.truncate(keep);
            logical.push(' ');
            logical.push_str(lines.text(l + 1).trim_start());
            l += 1;
        }
        l += 1;
        if raw.starts_with('\t') && in_rule {
            continue;
        }
        let code = strip_comment(&logical);
        let t = code.trim();
        if in_define {
            in_define = t != "endef";
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let mut rest = t;
        for prefix in ["override ", "export ", "private "] {
            if let Some(r) = rest.strip_prefix(prefix) {
                rest = r.trim_start();
            }
        }
        if rest.starts_with("define ") || rest == "define" {
            in_define = true;
            continue;
        }
        let Some((name, op, value)) = assignment(rest) else {
            if t.contains(':') && !t.starts_with("if") && !t.starts_with("else") {
                in_rule = true;
            }
            continue;
        };
        in_rule = false;
        let line = first as u32 + 1;
        let e = match op {
            "+=" => continue,
            "!=" => Expansion::unknown(),
            _ => expand(&env, value),
        };
        let at = raw.find(value).map_or(start, |i| start + i);
        if let Some(edge) = edge_from(
            &lines,
            at,
            EdgeKind::MakeVar,
            name,
            &e,
            Require::VersionOrName,
        ) {
            out.push(edge);
        }
        if op != "?=" || !env.vars.contains_key(name) {
            env.set(name, e, line);
        }
    }
}

fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'#' && (i == 0 || b[i - 1] != b'\\') {
            return &s[..i];
        }
    }
    s
}

/// `NAME op value` with op one of `?=`, `:=`, `::=`, `:::=`, `+=`, `!=`, `=`.
fn assignment(s: &str) -> Option<(&str, &str, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(s.len());
    let name = &s[..end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-') {
        return None;
    }
    let after = s[end..].trim_start();
    for op in [":::=", "::=", ":=", "?=", "+=", "!=", "="] {
        if let Some(v) = after.strip_prefix(op) {
            return Some((name, op, v.trim()));
        }
    }
    None
}

/// Expands `$(NAME)` / `${NAME}` of earlier definitions; functions make the value unknown.
fn expand(env: &Env, value: &str) -> Expansion {
    let mut out = String::new();
    let mut uses: Vec<VarUse> = Vec::new();
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let c = value[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(&open @ (b'(' | b'{')) => {
                let close = if open == b'(' { ')' } else { '}' };
                let Some(end) = value[i + 2..].find(close) else {
                    return Expansion::unknown();
                };
                let inner = &value[i + 2..i + 2 + end];
                if !super::lex::is_name(inner) {
                    return Expansion::unknown();
                }
                let Some(v) = env.vars.get(inner) else {
                    return Expansion::unknown();
                };
                let Val::Known(s) = &v.val else {
                    return Expansion::unknown();
                };
                out.push_str(s);
                if out.len() > MAX_VALUE {
                    return Expansion::unknown();
                }
                if !uses.iter().any(|u| u.name == inner) {
                    push_use(
                        &mut uses,
                        VarUse {
                            name: inner.to_string(),
                            line: v.line,
                            value: s.clone(),
                        },
                    );
                    for u in &v.uses {
                        push_use(&mut uses, u.clone());
                    }
                }
                i += 3 + end;
            }
            _ => return Expansion::unknown(),
        }
    }
    Expansion {
        val: Val::Known(out),
        uses,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EdgeKind, Origin, extract};

    #[test]
    fn makefile_definitions_outside_recipes() {
        let mk = "# APP_REF?=v0.0.0 is only a comment\nAPP_REMOTE ?=https://example.org/acme/app.git\nREF?=release/1.7\nTOOL_VERSION := 1.4.2\nGO_VERSION?=$(shell grep GO_VERSION Dockerfile | cut -d= -f2)\nIMAGE=golang:$(TOOL_VERSION)\nIMAGE_TAG = $(TOOL_VERSION)-alpine\nifneq ($(strip $(GOVERSION)),)\n\tGO_VERSION=$(GOVERSION)\nendif\n\ncheckout: src\n\tPINNED_VERSION=9.9.9 ./scripts/checkout.sh src \"$(REF)\"\n";
        let edges = extract("common/common.mk", mk);
        let got: Vec<(&str, &str, u32, u32)> = edges
            .iter()
            .map(|e| (e.name.as_str(), e.version.as_str(), e.line, e.column))
            .collect();
        assert_eq!(
            got,
            vec![
                ("REF", "release/1.7", 3, 6),
                ("TOOL_VERSION", "1.4.2", 4, 17),
                ("IMAGE_TAG", "1.4.2-alpine", 7, 13),
            ]
        );
        assert!(edges.iter().all(|e| e.kind == EdgeKind::MakeVar));
        let Origin::Expanded { vars } = &edges[2].origin else {
            panic!()
        };
        assert_eq!((vars[0].name.as_str(), vars[0].line), ("TOOL_VERSION", 4));
    }

    #[test]
    fn doubling_definitions_and_long_chains_stay_bounded() {
        let mut mk = String::from("TOOL_VERSION := 1.0\n");
        mk.push_str(&"TOOL_VERSION := $(TOOL_VERSION)$(TOOL_VERSION)\n".repeat(64));
        mk.push_str(&format!("V0 := 1.{}\n", "0".repeat(1000)));
        mk.push_str(
            &(0..2000)
                .map(|i| format!("V{} := $(V{i})\n", i + 1))
                .collect::<String>(),
        );
        let edges = extract("Makefile", &mk);
        // 1.0 doubled up to 4 KiB, then unknown (and no edge).
        assert!(edges.iter().filter(|e| e.name == "TOOL_VERSION").count() <= 12);
        for e in &edges {
            assert!(e.version.len() <= super::super::lex::MAX_VALUE);
            if let Origin::Expanded { vars } = &e.origin {
                assert!(vars.len() <= super::super::lex::MAX_USES);
            }
        }
    }
}
