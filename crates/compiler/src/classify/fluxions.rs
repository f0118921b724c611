//! The fluxions: one per registered callback and per `await` segment, the code each piece of
//! source runs in (attribution), their rupture points, streams and fluxional text.

use super::{Builder, Flx, Part, MAIN};
use crate::analyze::{BindingId, Callback, FuncId, Place};
use crate::graph::{Fluxion, FluxionKind, Hints, RupturePoint, Stream};
use crate::rules::RuptureKind;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

/// The fluxions a binding is declared in: the one its function roots (a listener's parameter),
/// or those its declaring place runs in.
pub(super) enum DeclaredIn {
    Root(Flx),
    Parts(Rc<BTreeSet<Part>>),
}

impl DeclaredIn {
    pub(super) fn contains(&self, x: Flx) -> bool {
        match self {
            DeclaredIn::Root(r) => *r == x,
            DeclaredIn::Parts(parts) => parts.iter().any(|p| p.flx == x),
        }
    }

    pub(super) fn to_set(&self) -> BTreeSet<Flx> {
        match self {
            DeclaredIn::Root(r) => [*r].into(),
            DeclaredIn::Parts(parts) => parts.iter().map(|p| p.flx).collect(),
        }
    }
}

impl Builder<'_> {
    pub(super) fn declared_in(&mut self, b: BindingId) -> DeclaredIn {
        let binding = &self.facts.bindings[b];
        match binding.param_of.and_then(|(f, _)| self.roots.get(&(f, 0))) {
            Some(&root) => DeclaredIn::Root(root),
            None => DeclaredIn::Parts(self.attrib(binding.decl)),
        }
    }

    pub(super) fn new_fluxion(
        &mut self,
        name: String,
        kind: FluxionKind,
        span: (usize, usize),
    ) -> Flx {
        let mut name = name;
        if self.names.contains(&name) {
            // Suffixes below the remembered one are all taken: names are never released.
            let mut i = self.name_suffix.get(&name).copied().unwrap_or(2);
            while self.names.contains(&format!("{name}_{i}")) {
                i += 1;
            }
            self.name_suffix.insert(name.clone(), i + 1);
            name = format!("{name}_{i}");
        }
        self.names.insert(name.clone());
        self.fluxions.push(Fluxion {
            id: format!("{name}@{}", span.0),
            name,
            kind,
            tags: Vec::new(),
            context: Vec::new(),
            streams: Vec::new(),
            loc: self.src.loc(span.0),
            route: None,
            span,
            opaque: false,
            hints: Hints::default(),
            text: String::new(),
        });
        self.fluxions.len() - 1
    }

    pub(super) fn func_name(&self, f: FuncId) -> String {
        let func = &self.facts.funcs[f];
        func.name
            .clone()
            .unwrap_or_else(|| format!("anonymous_{}", self.src.loc(func.span.0).line))
    }

    /// The routes each function handles, in source order and joined (one handler may serve
    /// several): one pass over the sites, not one per callback (10,000 routes took 0.75 s so).
    fn routes_by_func(&self) -> HashMap<FuncId, String> {
        let mut routes: HashMap<FuncId, Vec<&str>> = HashMap::new();
        for s in &self.facts.sites {
            let Some(r) = &s.route else { continue };
            for c in &s.callbacks {
                if let Callback::Func { func, .. } = c {
                    let list = routes.entry(*func).or_default();
                    if !list.contains(&r.as_str()) {
                        list.push(r);
                    }
                }
            }
        }
        routes
            .into_iter()
            .map(|(f, r)| (f, r.join(" | ")))
            .collect()
    }

    pub(super) fn create_fluxions(&mut self) {
        let main = self.new_fluxion("main".into(), FluxionKind::Main, (0, self.src.text.len()));
        self.fluxions[main].opaque = self.facts.top_opaque;
        let is_callback: BTreeSet<FuncId> = self
            .facts
            .sites
            .iter()
            .flat_map(|s| &s.callbacks)
            .filter_map(|c| match c {
                Callback::Func { func, .. } => Some(*func),
                Callback::Dynamic { .. } => None,
            })
            .collect();
        let with_awaits = self
            .facts
            .funcs
            .ids()
            .filter(|&f| !self.facts.funcs[f].segments.is_empty());
        let mut callbacks: Vec<FuncId> = is_callback.iter().copied().chain(with_awaits).collect();
        callbacks.sort_by_key(|&f| self.facts.funcs[f].span.0);
        callbacks.dedup();
        let routes = self.routes_by_func();
        for f in callbacks {
            let func = &self.facts.funcs[f];
            let name = self.func_name(f);
            let route = routes.get(&f).cloned();
            if is_callback.contains(&f) {
                let x = self.new_fluxion(name.clone(), FluxionKind::Callback, func.span);
                self.fluxions[x].opaque = func.opaque;
                self.fluxions[x].route = route.clone();
                self.roots.insert((f, 0), x);
            }
            for (k, seg) in func.segments.iter().enumerate() {
                let x = self.new_fluxion(
                    format!("{name}_await{}", k + 1),
                    FluxionKind::Continuation,
                    (seg.at, seg.body_end),
                );
                self.fluxions[x].opaque = func.opaque;
                // The code after an await is the same handler, later.
                self.fluxions[x].route = route
                    .as_ref()
                    .map(|r| format!("{r} (after await {})", k + 1));
                self.roots.insert((f, k as u32 + 1), x);
            }
        }
    }

    /// The fluxions a place's code runs in.
    pub(super) fn attrib(&mut self, place: Place) -> Rc<BTreeSet<Part>> {
        match place {
            Place::Top => self.top_parts.clone(),
            Place::In(f, k) => {
                if let Some(&x) = self.roots.get(&(f, k)) {
                    return self
                        .root_parts
                        .entry(x)
                        .or_insert_with(|| {
                            Rc::new(BTreeSet::from([Part {
                                flx: x,
                                init: false,
                            }]))
                        })
                        .clone();
                }
                self.attrib_func(f)
            }
        }
    }

    pub(super) fn attrib_func(&mut self, f: FuncId) -> Rc<BTreeSet<Part>> {
        if let Some(p) = self.attrib_memo.get(&f) {
            return p.clone();
        }
        if !self.in_progress.insert(f) {
            return Rc::default(); // recursion: the other callers already cover it
        }
        let deferred = Part {
            flx: MAIN,
            init: false,
        };
        let func = &self.facts.funcs[f];
        let (parent, iife, bound) = (func.parent, func.is_iife, func.binding.is_some());
        let n_refs = self.refs_to.get(f).len();
        let mut out = BTreeSet::new();
        for k in 0..n_refs {
            let r = self.refs_to.get(f)[k];
            match r.at {
                Place::Top if r.direct_call => {
                    out.insert(Part {
                        flx: MAIN,
                        init: true,
                    });
                }
                // Stored or exported at the top level: it may run at any time, from anywhere.
                Place::Top => {
                    out.insert(deferred);
                }
                at => out.extend(self.attrib(at).iter().copied()),
            }
        }
        if iife || n_refs == 0 {
            match parent {
                Place::Top if iife => {
                    out.insert(Part {
                        flx: MAIN,
                        init: true,
                    });
                }
                Place::Top => {
                    out.insert(deferred);
                }
                p => {
                    // An unbound function (`module.exports = function () {}`, an argument to an
                    // unknown call) runs where it was created; a bound one never mentioned is dead
                    // code, counted there too.
                    let _ = bound;
                    out.extend(self.attrib(p).iter().copied());
                }
            }
        }
        self.in_progress.remove(&f);
        let out = Rc::new(out);
        self.attrib_memo.insert(f, out.clone());
        out
    }

    pub(super) fn rupture_points(&mut self) -> Vec<RupturePoint> {
        let mut out = Vec::new();
        for site in &self.facts.sites {
            let from: Vec<String> = self
                .attrib(site.at)
                .iter()
                .map(|p| self.fluxions[p.flx].name.clone())
                .collect();
            let mut to = Vec::new();
            let mut dynamic = Vec::new();
            for c in &site.callbacks {
                match c {
                    Callback::Func { func, .. } => {
                        if let Some(&x) = self.roots.get(&(*func, 0)) {
                            to.push(self.fluxions[x].name.clone());
                        }
                    }
                    Callback::Dynamic { text } => dynamic.push(text.clone()),
                }
            }
            out.push(RupturePoint {
                kind: site.kind,
                callee: site.callee.clone(),
                loc: self.src.loc(site.offset),
                from: from.join(", "),
                to,
                dynamic,
                event: site.event.clone(),
            });
        }
        for f in &self.fluxions {
            if f.kind == FluxionKind::Continuation {
                out.push(RupturePoint {
                    kind: RuptureKind::Post,
                    callee: "await".into(),
                    loc: f.loc,
                    from: f
                        .name
                        .rsplit_once("_await")
                        .map_or("", |(a, _)| a)
                        .to_string(),
                    to: vec![f.name.clone()],
                    dynamic: vec![],
                    event: None,
                });
            }
        }
        out
    }

    pub(super) fn finish_streams(&mut self) {
        let mut edges = self.edges.clone();
        edges.sort_by_key(|e| (e.0, self.fluxions[e.1].span.0));
        for (from, to, kind, vars) in edges {
            let mut vars: Vec<BindingId> = vars.into_iter().collect();
            vars.sort_by_key(|&b| self.facts.bindings[b].offset);
            let stream = Stream {
                kind,
                to: self.fluxions[to].name.clone(),
                vars: vars
                    .iter()
                    .map(|&b| self.facts.bindings[b].name.clone())
                    .collect(),
            };
            self.fluxions[from].streams.push(stream);
        }
    }

    /// Each fluxion's own code, with downstream fluxions replaced by their stream placeholder.
    pub(super) fn fill_text(&mut self) {
        // (start, end, replacement)
        let mut repl: Vec<(usize, usize, String)> = Vec::new();
        let mut inline: BTreeSet<(usize, usize)> = BTreeSet::new();
        for site in &self.facts.sites {
            for c in &site.callbacks {
                if let Callback::Func { func, arg } = c {
                    if let Some(&x) = self.roots.get(&(*func, 0)) {
                        repl.push((
                            arg.0,
                            arg.1,
                            format!("{} {}", site.kind.arrow(), self.fluxions[x].name),
                        ));
                        if *arg == self.facts.funcs[*func].span {
                            inline.insert(*arg);
                        }
                    }
                }
            }
        }
        for (&(f, k), &x) in &self.roots {
            let span = self.facts.funcs[f].span;
            if k == 0 && !inline.contains(&span) {
                repl.push((span.0, span.1, String::new()));
            }
            if let Some(seg) = self.facts.funcs[f].segments.get(k as usize) {
                let next = self.roots[&(f, k + 1)];
                let _ = x;
                repl.push((
                    seg.stmt_end,
                    seg.body_end,
                    format!("\n  -> {}\n", self.fluxions[next].name),
                ));
            }
        }
        repl.sort_by_key(|r| (r.0, std::cmp::Reverse(r.1)));
        let root_of: HashMap<Flx, (FuncId, u32)> =
            self.roots.iter().map(|(&k, &v)| (v, k)).collect();
        for x in 0..self.fluxions.len() {
            let (lo, hi) = match self.fluxions[x].kind {
                FluxionKind::Continuation => {
                    let (f, k) = root_of[&x];
                    let seg = self.facts.funcs[f].segments[k as usize - 1];
                    (seg.stmt_end, seg.body_end)
                }
                _ => self.fluxions[x].span,
            };
            let mut text = String::new();
            let mut pos = lo;
            // `repl` is sorted by start: only the replacements starting in [lo, hi) apply.
            let first = repl.partition_point(|r| r.0 < lo);
            for (a, b, r) in repl[first..].iter().take_while(|r| r.0 < hi) {
                if *a < pos || *b > hi || (*a == lo && *b == hi) {
                    continue;
                }
                if *a == lo && *b == self.fluxions[x].span.1 {
                    continue;
                }
                text.push_str(self.src.slice(pos, *a));
                text.push_str(r);
                pos = *b;
            }
            text.push_str(self.src.slice(pos, hi));
            self.fluxions[x].text = text;
        }
    }
}
