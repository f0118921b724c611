//! Placement hints per fluxion: resources used, modules loaded, the variables a re-creatable
//! post callback's factory takes.

use super::{Builder, Flx, MemberSummary};
use crate::analyze::{BindingId, FuncId, OriginRoot, Place, ResourceKind, TypedId};
use crate::graph::{Hints, PassedTo, ResourceUse, StateUse, VarKind};
use std::collections::{BTreeMap, BTreeSet};

impl Builder<'_> {
    /// The variables a post callback's factory takes, when it can be re-created on another
    /// thread: every variable it uses from the functions around it travels in its message.
    pub(super) fn factory_params(&self, f: FuncId) -> Option<Vec<String>> {
        let func = &self.facts.funcs[f];
        if func.opaque || func.uses_this {
            return None;
        }
        let mut ancestors = BTreeSet::new();
        let mut p = func.parent;
        while let Place::In(g, _) = p {
            ancestors.insert(g);
            p = self.facts.funcs[g].parent;
        }
        let mut params: BTreeSet<(usize, BindingId)> = BTreeSet::new();
        // The accesses made in `f` and in the functions nested in it.
        let mut subtree = vec![f];
        let mut in_subtree = Vec::new();
        while let Some(g) = subtree.pop() {
            in_subtree.extend_from_slice(self.accesses_in.get(g));
            subtree.extend_from_slice(self.children.get(g));
        }
        for a in in_subtree.into_iter().map(|i| &self.facts.accesses[i]) {
            let binding = &self.facts.bindings[a.binding];
            // A factory is appended at the module's top level: it cannot name a block's variable.
            if binding.block_scoped {
                return None;
            }
            match binding.decl {
                Place::In(g, _) if ancestors.contains(&g) => match self.kinds.get(&a.binding) {
                    Some(VarKind::Stream | VarKind::Resource) => {
                        params.insert((binding.offset, a.binding));
                    }
                    _ => return None,
                },
                _ => {}
            }
        }
        Some(
            params
                .into_iter()
                .map(|(_, b)| self.facts.bindings[b].name.clone())
                .collect(),
        )
    }

    pub(super) fn fill_hints(&mut self) {
        let facts = self.facts;
        let n = self.fluxions.len();
        let mut hints: Vec<Hints> = vec![Hints::default(); n];
        // Resources: member uses and plain reads, per fluxion.
        let mut member: BTreeMap<(Flx, BindingId), MemberSummary> = BTreeMap::new();
        for u in &facts.member_uses {
            if facts.bindings[u.binding].resource.is_none() {
                continue;
            }
            for part in self.attrib(u.at).iter() {
                let e = member.entry((part.flx, u.binding)).or_default();
                if u.call {
                    e.1.insert(u.prop.clone());
                } else {
                    e.0.insert(u.prop.clone());
                }
                e.2 += 1;
            }
        }
        let mut reads: BTreeMap<(Flx, BindingId), usize> = BTreeMap::new();
        let mut modules: BTreeMap<Flx, BTreeSet<String>> = BTreeMap::new();
        // Per binding, once (there are fewer bindings than accesses, and the records are large):
        // whether it is a resource, and the module it is, if any.
        let per_binding: Vec<(bool, Option<&String>)> = facts
            .bindings
            .iter_enumerated()
            .map(|(b, binding)| {
                let module = match binding.origin.as_deref() {
                    Some(crate::analyze::Origin {
                        root: OriginRoot::Module(m),
                        ..
                    }) if binding.is_import || self.kinds.get(&b) == Some(&VarKind::Module) => {
                        Some(m)
                    }
                    _ => None,
                };
                (binding.resource.is_some(), module)
            })
            .collect();
        for a in &facts.accesses {
            let (resource, module) = per_binding[a.binding.index()];
            let read = resource && !a.write;
            // Most accesses are neither: not worth asking where they run.
            if !read && module.is_none() {
                continue;
            }
            for part in self.attrib(a.at).iter() {
                if read {
                    *reads.entry((part.flx, a.binding)).or_default() += 1;
                }
                if let Some(m) = module {
                    let set = modules.entry(part.flx).or_default();
                    if !set.contains(m) {
                        set.insert(m.clone());
                    }
                }
            }
        }
        // Resources handed to named calls (`fn(req, res, next)`), per fluxion: only callees
        // declared outside it count (its own locals and parameters are values the runtime
        // cannot read from its closure).
        let mut passes: BTreeMap<(Flx, BindingId), (BTreeSet<PassedTo>, usize)> = BTreeMap::new();
        for p in &facts.arg_passes {
            if facts.bindings[p.binding].resource.is_none() {
                continue;
            }
            let callee = &facts.bindings[p.callee];
            let declared_in = self.declared_in(p.callee);
            for part in self.attrib(p.at).iter() {
                if declared_in.contains(part.flx) {
                    continue;
                }
                let e = passes.entry((part.flx, p.binding)).or_default();
                e.0.insert(PassedTo {
                    callee: callee.name.clone(),
                    index: p.index,
                    spread: p.spread,
                    args: p.args.clone(),
                });
                e.1 += 1;
            }
        }
        // Rest parameters whose elements (`args[i]`) go only into locals that are only called or
        // handed to a promise: as many such locals as element reads, and nothing else reads them.
        let mut element_reads: BTreeMap<BindingId, usize> = BTreeMap::new();
        for u in &facts.member_uses {
            if u.prop == "[]" && facts.bindings[u.binding].rest {
                *element_reads.entry(u.binding).or_default() += 1;
            }
        }
        let mut aliases: BTreeMap<BindingId, Vec<BindingId>> = BTreeMap::new();
        // Reads and call reads per binding, by id (a map per access was most of this pass on a
        // bundle with one rest parameter).
        let mut read_count: Vec<usize> = Vec::new();
        let mut call_count: Vec<usize> = Vec::new();
        // Only a rest parameter with element reads needs these counts (most modules have none).
        if !element_reads.is_empty() {
            for a in facts.bindings.ids() {
                if let Some(r) = facts.bindings[a]
                    .member_of
                    .filter(|&r| facts.bindings[r].rest)
                {
                    aliases.entry(r).or_default().push(a);
                }
            }
            read_count = vec![0; facts.bindings.len()];
            call_count = vec![0; facts.bindings.len()];
            for a in facts.accesses.iter().filter(|a| !a.write) {
                read_count[a.binding.index()] += 1;
            }
            for (b, _) in &facts.call_reads {
                call_count[b.index()] += 1;
            }
        }
        let only_called = |r: BindingId| {
            let locals = aliases.get(&r).map_or(&[][..], |v| v.as_slice());
            let elements = element_reads.get(&r).copied().unwrap_or(0);
            elements > 0
                && elements <= locals.len()
                && locals
                    .iter()
                    .all(|a| read_count[a.index()] <= call_count[a.index()])
        };
        for (&(x, b), &count) in &reads {
            let binding = &facts.bindings[b];
            let (props, calls, uses) = member.remove(&(x, b)).unwrap_or_default();
            let escapes = count > uses;
            let (to, passed) = passes.remove(&(x, b)).unwrap_or_default();
            hints[x].resources.push(ResourceUse {
                name: binding.name.clone(),
                kind: binding.resource.expect("filtered above"),
                props: props.into_iter().collect(),
                calls: calls.into_iter().collect(),
                escapes,
                passed_to: (escapes && passed > 0 && count == uses + passed)
                    .then(|| to.into_iter().collect()),
                rest: binding.rest,
                elements_only_called: binding.rest && only_called(b),
            });
        }
        let roots: Vec<((FuncId, u32), Flx)> = self.roots.iter().map(|(k, v)| (*k, *v)).collect();
        for ((f, k), x) in roots {
            hints[x].uses_this = facts.funcs[f].uses_this;
            if k == 0 {
                hints[x].params = facts.funcs[f].params.len();
            }
            let is_post = self.post_callbacks.contains(&f);
            if k == 0 && is_post {
                hints[x].factory = self.factory_params(f);
            }
        }
        // Written somewhere other than its own declaration (`var n = 0` is not a later write).
        let mut written_later = vec![false; facts.bindings.len()];
        for a in &facts.accesses {
            if a.write && a.offset != facts.bindings[a.binding].offset {
                written_later[a.binding.index()] = true;
            }
        }
        // Taken, not copied (put back below): the loop asks `attrib`, which borrows `self`.
        let all_uses = std::mem::take(&mut self.uses);
        for (&b, users) in &all_uses {
            let binding = &facts.bindings[b];
            let Some(&kind) = self.kinds.get(&b) else {
                continue;
            };
            if matches!(kind, VarKind::Module | VarKind::Resource) {
                continue;
            }
            // A variable of an enclosing function (`function build() { const sock = new Sock();
            // app.use(function (req, res, next) { ... sock ... }) }`) is state too: each thread
            // that loads the module makes its own. Only the fluxions that capture it count
            // (`None`: all its users, as for a module-level variable).
            let captured_by: Option<BTreeSet<Flx>> = if binding.decl == Place::Top {
                None
            } else {
                let decl = self.declared_in(b);
                Some(
                    users
                        .keys()
                        .copied()
                        .filter(|&x| !decl.contains(x))
                        // A post callback re-created from its factory gets it in its message.
                        .filter(|&x| {
                            !hints[x]
                                .factory
                                .as_ref()
                                .is_some_and(|ps| ps.contains(&binding.name))
                        })
                        .collect(),
                )
            };
            if captured_by.as_ref().is_some_and(BTreeSet::is_empty) {
                continue;
            }
            // A function never reassigned is code every thread has, even when one fluxion uses it.
            let kind = if binding.func.is_some() && !binding.reassigned {
                VarKind::Code
            } else {
                kind
            };
            let constant =
                binding.pure_init && !binding.reassigned && users.values().all(|&(_, w)| !w);
            let captured = |x: &Flx| captured_by.as_ref().is_none_or(|c| c.contains(x));
            for (&x, &(_, w)) in users.iter().filter(|(x, _)| captured(x)) {
                hints[x].state.push(StateUse {
                    name: binding.name.clone(),
                    kind,
                    write: w,
                    pure_init: binding.pure_init,
                    constant,
                    fixed: !binding.reassigned && !written_later[b.index()],
                    captured: binding.decl != Place::Top,
                    rebound: binding.reassigned,
                    block_scoped: binding.block_scoped,
                });
            }
        }
        self.uses = all_uses;
        for (x, m) in modules {
            hints[x].modules = m.into_iter().collect();
        }
        for s in &facts.stores {
            let target = &facts.bindings[s.target];
            if !matches!(
                target.resource,
                Some(ResourceKind::Request | ResourceKind::Response)
            ) {
                continue;
            }
            if s.opaque {
                // `req.als = new AsyncLocalStorage()`: the next handler, wherever it runs, must
                // see that instance, methods and all; a copy would not.
                for part in self.attrib(s.at).iter() {
                    let list = &mut hints[part.flx].stores_state;
                    let what = "an instance or function".to_string();
                    if !list.contains(&what) {
                        list.push(what);
                    }
                }
            }
            for &v in &s.values {
                let b = &facts.bindings[v];
                let state = b.resource.is_none()
                    && !matches!(
                        self.kinds.get(&v),
                        Some(VarKind::Module | VarKind::Code | VarKind::Resource)
                    )
                    && (b.func.is_none() || b.reassigned);
                // Variables of the handler itself (its locals) are the request's own values,
                // unless they hold an object reached from outside it (`const pet = db.pets[id];
                // req.pet = pet`): that object is shared, and a copy on another thread would
                // take the writes made through it.
                let local = b.decl != Place::Top && self.decl_is_within(v, s.target);
                let outside = |r: BindingId| {
                    facts.bindings[r].resource.is_none() && !self.decl_is_within(r, s.target)
                };
                let shared_member =
                    s.alias == Some(v) && (outside(v) || b.member_of.is_some_and(outside));
                if (!state || local) && !shared_member {
                    continue;
                }
                for part in self.attrib(s.at).iter() {
                    let list = &mut hints[part.flx].stores_state;
                    if !list.contains(&b.name) {
                        list.push(b.name.clone());
                    }
                }
            }
        }
        // Writes into what a request or response property holds, other than the request's own
        // data (its body, query, params, headers, cookies) and `res.locals`, which travel back.
        for (b, prop, at) in &facts.member_writes {
            let own = match facts.bindings[*b].resource {
                Some(ResourceKind::Request) => matches!(
                    prop.as_str(),
                    "body" | "query" | "params" | "headers" | "cookies" | "signedCookies"
                ),
                Some(ResourceKind::Response) => prop == "locals",
                _ => true,
            };
            if own {
                continue;
            }
            let name = format!("{}.{prop}", facts.bindings[*b].name);
            for part in self.attrib(*at).iter() {
                let list = &mut hints[part.flx].writes_into;
                if !list.contains(&name) {
                    list.push(name.clone());
                }
            }
        }
        for &at in &facts.require_at {
            for part in self.attrib(at).iter() {
                hints[part.flx].dynamic_require = true;
            }
        }
        for (x, h) in hints.into_iter().enumerate() {
            self.fluxions[x].hints = h;
        }
    }

    /// Whether binding `v` is declared inside the function that has `target` as a parameter
    /// (a local of the handler, or of a function within it).
    pub(super) fn decl_is_within(&self, v: BindingId, target: BindingId) -> bool {
        let Some((owner, _)) = self.facts.bindings[target].param_of else {
            return false;
        };
        let mut at = self.facts.bindings[v].decl;
        if let Some((f, _)) = self.facts.bindings[v].param_of {
            at = Place::In(f, 0);
        }
        while let Place::In(f, _) = at {
            if f == owner {
                return true;
            }
            at = self.facts.funcs[f].parent;
        }
        false
    }
}
