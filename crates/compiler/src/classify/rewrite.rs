//! The source rewrite: every registered callback wrapped, re-creatable post callbacks given a
//! factory.

use super::Builder;
use crate::abi;
use crate::analyze::{Callback, Place};
use crate::graph::{Rewrite, VarKind};
use crate::rules::RuptureKind;
use std::collections::BTreeSet;

impl Builder<'_> {
    /// Wraps every registered callback; re-creatable post callbacks also get a factory.
    pub(super) fn rewrite(&mut self) -> Rewrite {
        let facts = self.facts;
        let mut rw = Rewrite {
            prologue_at: facts.prologue_end,
            ..Default::default()
        };
        let mut done: BTreeSet<(usize, usize)> = BTreeSet::new();
        for site in &facts.sites {
            for c in &site.callbacks {
                let Callback::Func { func, arg } = c else {
                    continue;
                };
                let Some(&x) = self.roots.get(&(*func, 0)) else {
                    continue;
                };
                if !done.insert(*arg) {
                    continue;
                }
                let id = serde_json::to_string(&self.fluxions[x].id).expect("a string");
                let inline = *arg == facts.funcs[*func].span;
                match site.kind {
                    // Route handlers become dispatchers on the main thread; other listeners keep
                    // their identity (`removeListener(fn)` must still find them).
                    RuptureKind::Start => {
                        let api = if site.params == crate::rules::ParamShape::Express {
                            abi::ROUTE
                        } else {
                            abi::FN
                        };
                        rw.wraps.push((
                            arg.0,
                            arg.1,
                            format!("{}.{api}({id}, ", abi::RUNTIME_VAR),
                            ")".into(),
                        ));
                    }
                    RuptureKind::Post => {
                        // A promise callback's return value feeds the chain: it runs in place.
                        let promise = [".then", ".catch", ".finally"]
                            .iter()
                            .any(|m| site.pattern.ends_with(m));
                        let params = if promise {
                            None
                        } else {
                            self.fluxions[x].hints.factory.clone()
                        };
                        let top_level = facts.funcs[*func].parent == Place::Top;
                        match params {
                            Some(params) if inline || top_level => {
                                let vars = params
                                    .iter()
                                    .map(|p| format!("{p}: {p}"))
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                // Read when the callback runs, as the original closure does (a `const`
                                // declared after the call is initialised by then).
                                rw.wraps.push((
                                    arg.0,
                                    arg.1,
                                    format!(
                                        "{}.{}({id}, () => ({{{vars}}}), ",
                                        abi::RUNTIME_VAR,
                                        abi::POST
                                    ),
                                    ")".into(),
                                ));
                                let body = if inline {
                                    facts.funcs[*func].span
                                } else {
                                    *arg
                                };
                                rw.factories
                                    .push((self.fluxions[x].id.clone(), params, body));
                            }
                            _ => rw.wraps.push((
                                arg.0,
                                arg.1,
                                format!("{}.{}({id}, null, ", abi::RUNTIME_VAR, abi::POST),
                                ")".into(),
                            )),
                        }
                    }
                }
                self.fluxions[x].hints.registered = true;
            }
        }
        rw.wraps.sort_by_key(|w| (w.0, std::cmp::Reverse(w.1)));
        let mut vars: Vec<(usize, String)> = self
            .kinds
            .iter()
            .filter(|(_, k)| matches!(k, VarKind::Scope | VarKind::Share))
            .map(|(&b, _)| &facts.bindings[b])
            .filter(|b| b.assignable && b.func.is_none() && !b.block_scoped)
            .map(|b| (b.offset, b.name.clone()))
            .collect();
        vars.sort();
        vars.dedup();
        rw.context_vars = vars.into_iter().map(|(_, n)| n).collect();
        rw
    }
}
