//! Variable classes (scope, stream, share, code, module, resource), `grp_` tags and contexts;
//! whether the module keeps state a copy would split.

use super::fluxions::DeclaredIn;
use super::{Builder, Flx, MAIN};
use crate::analyze::{BindingId, FuncId, OriginRoot, Place, ResourceKind, Seg, TypedId};
use crate::graph::{VarKind, Variable};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

impl Builder<'_> {
    pub(super) fn classify(&mut self) -> Vec<Variable> {
        let facts = self.facts;
        // binding -> fluxion -> (read, written), after initialisation: one map per binding,
        // indexed by its id (an access costs a lookup in its own binding's few users).
        let mut dense: Vec<BTreeMap<Flx, (bool, bool)>> =
            vec![BTreeMap::new(); facts.bindings.len()];
        let mut network: BTreeSet<Flx> = BTreeSet::new();
        // Per binding, once: whether it is a network resource, whether it is module-level (the
        // records are large; an access only needs these two).
        let flags: Vec<(bool, bool)> = facts
            .bindings
            .iter()
            .map(|b| {
                (
                    b.resource.is_some_and(ResourceKind::is_network),
                    b.decl == Place::Top,
                )
            })
            .collect();
        // Accesses come in source order: runs of them share a place, asked about once.
        let mut last: Option<Place> = None;
        let mut parts = Rc::clone(&self.top_parts);
        for a in &facts.accesses {
            if last != Some(a.at) {
                parts = self.attrib(a.at);
                last = Some(a.at);
            }
            let (network_resource, top) = flags[a.binding.index()];
            for part in parts.iter() {
                if network_resource {
                    network.insert(part.flx);
                }
                if part.init && top {
                    continue; // initialisation, before any listener fires
                }
                let e = dense[a.binding.index()].entry(part.flx).or_default();
                e.0 |= !a.write;
                e.1 |= a.write;
            }
        }
        for &p in &facts.network_at {
            for part in self.attrib(p).iter() {
                network.insert(part.flx);
            }
        }
        // Ids ascending: the map is built in one pass.
        let mut uses: BTreeMap<BindingId, BTreeMap<Flx, (bool, bool)>> = dense
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .map(|(i, m)| (BindingId::from_index(i), m))
            .collect();
        self.opaque_accesses(&mut uses);

        // At most one per binding with users: grown by doubling, a bundle's list was copied
        // (and its fresh pages faulted in) a dozen times.
        let mut vars = Vec::with_capacity(uses.len());
        let mut tags: BTreeMap<Flx, BTreeSet<String>> = BTreeMap::new();
        let mut contexts: BTreeMap<Flx, Vec<(usize, String)>> = BTreeMap::new();
        let mut tag_names: BTreeSet<String> = BTreeSet::new();
        let mut tag_suffix: HashMap<String, usize> = HashMap::new();
        // In binding order, as `uses` is kept; a binding with no users has no start parameter
        // either (it needs a use).
        for (&b, all) in &uses {
            let binding = &facts.bindings[b];
            if all.is_empty() {
                continue;
            }
            let top = binding.decl == Place::Top;
            let declared_in = self.declared_in(b);
            // Listener parameters travel in the message that starts their fluxion.
            let start_param = match declared_in {
                DeclaredIn::Root(x) => Some(x).filter(|x| self.starts_into.contains_key(x)),
                DeclaredIn::Parts(_) => None,
            };
            // Most bindings are locals used only where they are declared: no sets built for them.
            if !top && start_param.is_none() && all.keys().all(|&x| declared_in.contains(x)) {
                continue;
            }
            if top && all.keys().all(|&x| x == MAIN) {
                continue; // module state only main touches
            }
            let decl = declared_in.to_set();
            let users: BTreeMap<Flx, (bool, bool)> = all
                .iter()
                .filter(|(x, _)| top || !decl.contains(x))
                .map(|(x, u)| (*x, *u))
                .collect();
            let writers: BTreeSet<Flx> =
                users.iter().filter(|(_, u)| u.1).map(|(x, _)| *x).collect();
            // `require('fs')`, `const { readFile } = require('fs')`: every thread loads its own.
            let is_module = binding.is_import
                || (!binding.reassigned
                    && binding.origin.as_ref().is_some_and(|o| {
                        matches!(o.root, OriginRoot::Module(_)) && !o.segs.contains(&Seg::Call)
                    }));
            let is_code = binding.func.is_some() && !binding.reassigned;
            // A fluxion's own name is not state: it is the fluxion.
            if is_code
                && binding
                    .func
                    .is_some_and(|f| self.roots.contains_key(&(f, 0)))
            {
                continue;
            }
            let kind = if binding.resource.is_some() {
                VarKind::Resource
            } else if is_module {
                VarKind::Module
            } else if top {
                if users.len() == 1 {
                    VarKind::Scope
                } else if is_code {
                    VarKind::Code
                } else if writers.is_empty() {
                    VarKind::Stream
                } else {
                    VarKind::Share
                }
            } else if writers.is_empty() || self.on_one_post_chain(&decl, users.keys()) {
                VarKind::Stream
            } else {
                VarKind::Share
            };
            self.kinds.insert(b, kind);
            let mut tag = None;
            match kind {
                VarKind::Scope | VarKind::Code => {
                    for &x in users.keys() {
                        contexts
                            .entry(x)
                            .or_default()
                            .push((binding.offset, binding.name.clone()));
                    }
                }
                VarKind::Share => {
                    let mut t = format!("grp_{}", binding.name);
                    if tag_names.contains(&t) {
                        // Suffixes below the remembered one are all taken (minified bundles
                        // have thousands of shared `e`s).
                        let next = tag_suffix.entry(binding.name.clone()).or_insert(2);
                        let mut i = *next;
                        loop {
                            t = format!("grp_{}_{i}", binding.name);
                            i += 1;
                            if !tag_names.contains(&t) {
                                break;
                            }
                        }
                        *next = i;
                    }
                    tag_names.insert(t.clone());
                    let members: BTreeSet<Flx> = users
                        .keys()
                        .copied()
                        .chain(if top { BTreeSet::new() } else { decl.clone() })
                        .collect();
                    for &x in &members {
                        tags.entry(x).or_default().insert(t.clone());
                        contexts
                            .entry(x)
                            .or_default()
                            .push((binding.offset, binding.name.clone()));
                    }
                    tag = Some(t);
                }
                VarKind::Stream | VarKind::Resource => {
                    for &u in users.keys() {
                        let path = decl.iter().find_map(|&d| self.path(d, u));
                        for e in path.into_iter().flatten() {
                            self.edges[e].3.insert(b);
                        }
                    }
                    if let Some(x) = start_param {
                        for &e in &self.starts_into[&x] {
                            self.edges[e].3.insert(b);
                        }
                    }
                }
                VarKind::Module => {}
            }
            let name_of = |x: &Flx| self.fluxions[*x].name.clone();
            vars.push(Variable {
                name: binding.name.clone(),
                kind,
                declared_in: decl
                    .iter()
                    .next()
                    .map(name_of)
                    .unwrap_or_else(|| "main".into()),
                loc: self.src.loc(binding.offset),
                used_by: users.keys().map(name_of).collect(),
                written_by: writers.iter().map(name_of).collect(),
                tag,
                resource: binding.resource,
            });
        }
        self.uses = uses;
        for (x, f) in self.fluxions.iter_mut().enumerate() {
            if network.contains(&x) {
                f.tags.push("network".into());
            }
            f.tags.extend(tags.remove(&x).unwrap_or_default());
            let mut ctx = contexts.remove(&x).unwrap_or_default();
            ctx.sort();
            ctx.dedup();
            f.context = ctx.into_iter().map(|(_, n)| n).collect();
        }
        vars
    }

    /// True when every user follows a declaring fluxion on one post chain, in a single order:
    /// each invocation's copy can then be carried along the chain.
    pub(super) fn on_one_post_chain<'x>(
        &self,
        decl: &BTreeSet<Flx>,
        users: impl Iterator<Item = &'x Flx>,
    ) -> bool {
        let users: Vec<Flx> = users.copied().collect();
        decl.iter().any(|&d| {
            let down = self.post_reachable(d);
            users.iter().all(|u| down.contains(u))
                && users.iter().all(|&a| {
                    users.iter().all(|&b| {
                        a == b
                            || self.post_reachable(a).contains(&b)
                            || self.post_reachable(b).contains(&a)
                    })
                })
        })
    }

    /// An opaque function may read and write every variable it can see: those of the top level
    /// and of the functions around it (found through an index of bindings by the function that
    /// declares them, not by a scan of every binding per opaque function).
    pub(super) fn opaque_accesses(
        &mut self,
        uses: &mut BTreeMap<BindingId, BTreeMap<Flx, (bool, bool)>>,
    ) {
        let facts = self.facts;
        let opaque: Vec<FuncId> = facts
            .funcs
            .ids()
            .filter(|&f| facts.funcs[f].opaque)
            .collect();
        if opaque.is_empty() {
            return;
        }
        let mut top: Vec<BindingId> = Vec::new();
        let mut declared_in: HashMap<FuncId, Vec<BindingId>> = HashMap::new();
        for (b, binding) in facts.bindings.iter_enumerated() {
            match binding.decl {
                Place::Top => top.push(b),
                Place::In(g, _) => declared_in.entry(g).or_default().push(b),
            }
        }
        // Every opaque function sees every top-level binding.
        let mut top_users: BTreeSet<Flx> = BTreeSet::new();
        for f in opaque {
            let parts = self.attrib(Place::In(f, 0));
            top_users.extend(parts.iter().map(|p| p.flx));
            let mut at = Place::In(f, 0);
            while let Place::In(g, _) = at {
                for &b in declared_in.get(&g).map_or(&[][..], |v| v.as_slice()) {
                    for part in parts.iter() {
                        let e = uses.entry(b).or_default().entry(part.flx).or_default();
                        *e = (true, true);
                    }
                }
                at = facts.funcs[g].parent;
            }
        }
        for b in top {
            for &x in &top_users {
                let e = uses.entry(b).or_default().entry(x).or_default();
                *e = (true, true);
            }
        }
    }

    /// Whether a copy of the module on another thread would differ from the main thread's: state
    /// written by its fluxions, values computed per thread that it exports or that its functions
    /// read, or top-level state that its (exported) functions change.
    pub(super) fn stateful(&self) -> bool {
        let facts = self.facts;
        let written_in_funcs: HashSet<BindingId> = facts
            .accesses
            .iter()
            .filter(|w| w.write && matches!(w.at, Place::In(..)))
            .map(|w| w.binding)
            .collect();
        let hidden = facts.accesses.iter().any(|a| {
            let b = &facts.bindings[a.binding];
            matches!(a.at, Place::In(..))
                && b.decl == Place::Top
                && !b.is_import
                && b.resource.is_none()
                && (b.func.is_none() || b.reassigned)
                && (!b.pure_init
                    || b.reassigned
                    || (b.container && written_in_funcs.contains(&a.binding)))
        });
        facts.impure_exports
            || hidden
            || self.uses.iter().any(|(&b, users)| {
                let binding = &self.facts.bindings[b];
                binding.decl == Place::Top
                    && !matches!(
                        self.kinds.get(&b),
                        Some(VarKind::Module | VarKind::Code | VarKind::Resource) | None
                    )
                    && users.values().any(|&(_, w)| w)
            })
    }
}
