//! C references: no imports, packages or types decide where a call leads, so a name resolves
//! to the definition in the caller's own file, or in a header the file includes (both `exact`:
//! that is the definition the translation unit sees), else to every definition of that name in
//! the revision (`by-name`: which one a binary links is the build's choice, not the source's).
//! A call no file defines (`openat`, `write`) is an external function.

use super::{Builder, Certainty, NodeId};
use crate::lang::{Lang, Ref, RefKind, Via};

impl Builder<'_> {
    pub(super) fn resolve_c(&mut self, fi: usize, r: &Ref) -> Vec<(NodeId, Certainty)> {
        let Some(defs) = self.c_defs.get(&r.name).cloned() else {
            // An identifier passed as a value that names no function is a variable.
            return match (r.kind, &r.via) {
                (RefKind::Call, Via::Local) => {
                    vec![(self.external(Lang::C, "", &r.name), Certainty::Exact)]
                }
                _ => Vec::new(),
            };
        };
        let (path, parsed) = self.files[fi];
        let own: Vec<NodeId> = defs
            .iter()
            .copied()
            .filter(|&d| *self.nodes[d].path == *path)
            .collect();
        if !own.is_empty() {
            return own.into_iter().map(|d| (d, Certainty::Exact)).collect();
        }
        // `#include "utils.h"` / `<libcrun/utils.h>`: a header whose path ends with the name.
        let included: Vec<NodeId> = defs
            .iter()
            .copied()
            .filter(|&d| {
                let p = &*self.nodes[d].path;
                p.ends_with(".h")
                    && parsed
                        .imports
                        .iter()
                        .any(|inc| p == inc || p.ends_with(&format!("/{inc}")))
            })
            .collect();
        if !included.is_empty() {
            return included
                .into_iter()
                .map(|d| (d, Certainty::Exact))
                .collect();
        }
        defs.into_iter().map(|d| (d, Certainty::ByName)).collect()
    }
}
