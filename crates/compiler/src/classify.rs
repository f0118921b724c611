//! From scope facts to the fluxion graph: parts, streams, variable classes, tags, contexts.
//!
//! The paper's §3.2 rules, made precise:
//! - a module-level variable used by one fluxion only is in its context (*scope*);
//! - a value set upstream and only read downstream travels in the message (*stream*), and so does
//!   any variable of one invocation used along its own post chain, whatever the order of writes
//!   (the paper's post-chain exception);
//! - a variable written by several fluxions, or written downstream and read upstream, is *share*:
//!   those fluxions get the tag `grp_<name>` and one copy of it.
//!
//! The body of a function that is not itself a fluxion runs in the fluxions that reference it
//! (`template` called from `reply` is part of `reply`), so its reads and writes count there.

use crate::abi;
use crate::analyze::{BindingId, Callback, Facts, FuncId, OriginRoot, Place, ResourceKind, Seg};
use crate::graph::{
    Fluxion, FluxionKind, Graph, Hints, ResourceUse, Rewrite, RupturePoint, StateUse, Stream, Tail,
    VarKind, Variable,
};
use crate::rules::RuptureKind;
use crate::source::SourceText;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

type Flx = usize;
/// Properties read, methods called, and how many member uses in all.
type MemberSummary = (BTreeSet<String>, BTreeSet<String>, usize);
const MAIN: Flx = 0;

/// A fluxion a piece of code runs in; `init` marks the module's straight-line top level, which
/// runs once before any listener fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Part {
    flx: Flx,
    init: bool,
}

struct Builder<'a> {
    facts: &'a Facts,
    src: &'a SourceText<'a>,
    roots: HashMap<(FuncId, u32), Flx>,
    fluxions: Vec<Fluxion>,
    attrib_memo: HashMap<FuncId, BTreeSet<Part>>,
    in_progress: BTreeSet<FuncId>,
    edges: Vec<(Flx, Flx, RuptureKind, BTreeSet<usize>)>,
    /// binding -> fluxion -> (read, written), after initialisation.
    uses: BTreeMap<usize, BTreeMap<Flx, (bool, bool)>>,
    kinds: HashMap<usize, VarKind>,
}

pub fn build(file: &str, facts: &Facts, src: &SourceText) -> Graph {
    let mut b = Builder {
        facts,
        src,
        roots: HashMap::new(),
        fluxions: Vec::new(),
        attrib_memo: HashMap::new(),
        in_progress: BTreeSet::new(),
        edges: Vec::new(),
        uses: BTreeMap::new(),
        kinds: HashMap::new(),
    };
    b.create_fluxions();
    b.create_edges();
    let variables = b.classify();
    let rupture_points = b.rupture_points();
    b.finish_streams();
    b.fill_text();
    b.fill_hints();
    let rewrite = b.rewrite();
    let stateful = b.stateful();
    let tails = b.tails();
    Graph {
        file: file.to_string(),
        fluxions: b.fluxions,
        variables,
        rupture_points,
        warnings: facts.warnings.clone(),
        stateful,
        es_module: facts.is_module,
        rewrite,
        tails,
    }
}

impl Builder<'_> {
    fn new_fluxion(&mut self, name: String, kind: FluxionKind, span: (usize, usize)) -> Flx {
        let mut name = name;
        if self.fluxions.iter().any(|f| f.name == name) {
            let mut i = 2;
            while self
                .fluxions
                .iter()
                .any(|f| f.name == format!("{name}_{i}"))
            {
                i += 1;
            }
            name = format!("{name}_{i}");
        }
        self.fluxions.push(Fluxion {
            id: format!("{name}@{}", span.0),
            name,
            kind,
            tags: Vec::new(),
            context: Vec::new(),
            streams: Vec::new(),
            loc: self.src.loc(span.0),
            span,
            opaque: false,
            hints: Hints::default(),
            text: String::new(),
        });
        self.fluxions.len() - 1
    }

    fn func_name(&self, f: FuncId) -> String {
        let func = &self.facts.funcs[f];
        func.name
            .clone()
            .unwrap_or_else(|| format!("anonymous_{}", self.src.loc(func.span.0).line))
    }

    fn create_fluxions(&mut self) {
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
        let with_awaits =
            (0..self.facts.funcs.len()).filter(|&f| !self.facts.funcs[f].segments.is_empty());
        let mut callbacks: Vec<FuncId> = is_callback.iter().copied().chain(with_awaits).collect();
        callbacks.sort_by_key(|&f| self.facts.funcs[f].span.0);
        callbacks.dedup();
        for f in callbacks {
            let func = &self.facts.funcs[f];
            let name = self.func_name(f);
            if is_callback.contains(&f) {
                let x = self.new_fluxion(name.clone(), FluxionKind::Callback, func.span);
                self.fluxions[x].opaque = func.opaque;
                self.roots.insert((f, 0), x);
            }
            for (k, seg) in func.segments.iter().enumerate() {
                let x = self.new_fluxion(
                    format!("{name}_await{}", k + 1),
                    FluxionKind::Continuation,
                    (seg.at, seg.body_end),
                );
                self.fluxions[x].opaque = func.opaque;
                self.roots.insert((f, k as u32 + 1), x);
            }
        }
    }

    /// The fluxions a place's code runs in.
    fn attrib(&mut self, place: Place) -> BTreeSet<Part> {
        match place {
            Place::Top => [Part {
                flx: MAIN,
                init: true,
            }]
            .into(),
            Place::In(f, k) => {
                if let Some(&x) = self.roots.get(&(f, k)) {
                    return [Part {
                        flx: x,
                        init: false,
                    }]
                    .into();
                }
                self.attrib_func(f)
            }
        }
    }

    fn attrib_func(&mut self, f: FuncId) -> BTreeSet<Part> {
        if let Some(p) = self.attrib_memo.get(&f) {
            return p.clone();
        }
        if !self.in_progress.insert(f) {
            return BTreeSet::new(); // recursion: the other callers already cover it
        }
        let deferred = Part {
            flx: MAIN,
            init: false,
        };
        let func = &self.facts.funcs[f];
        let (parent, iife, bound) = (func.parent, func.is_iife, func.binding.is_some());
        let refs: Vec<_> = self
            .facts
            .fn_refs
            .iter()
            .filter(|r| r.func == f)
            .copied()
            .collect();
        let mut out = BTreeSet::new();
        for r in &refs {
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
                at => out.extend(self.attrib(at)),
            }
        }
        if iife || refs.is_empty() {
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
                    out.extend(self.attrib(p));
                }
            }
        }
        self.in_progress.remove(&f);
        self.attrib_memo.insert(f, out.clone());
        out
    }

    fn add_edge(&mut self, from: Flx, to: Flx, kind: RuptureKind) {
        if !self
            .edges
            .iter()
            .any(|e| e.0 == from && e.1 == to && e.2 == kind)
        {
            self.edges.push((from, to, kind, BTreeSet::new()));
        }
    }

    fn create_edges(&mut self) {
        for s in 0..self.facts.sites.len() {
            let site = &self.facts.sites[s];
            let (kind, at, after) = (site.kind, site.at, site.after);
            let targets: Vec<Flx> = site
                .callbacks
                .iter()
                .filter_map(|c| match c {
                    Callback::Func { func, .. } => self.roots.get(&(*func, 0)).copied(),
                    Callback::Dynamic { .. } => None,
                })
                .collect();
            let sources: BTreeSet<Flx> = match after.and_then(|a| self.roots.get(&(a, 0))) {
                Some(&x) => [x].into(),
                None => self.attrib(at).into_iter().map(|p| p.flx).collect(),
            };
            for &src in &sources {
                for &t in &targets {
                    self.add_edge(src, t, kind);
                }
            }
        }
        for f in 0..self.facts.funcs.len() {
            for k in 1..=self.facts.funcs[f].segments.len() as u32 {
                let to = self.roots[&(f, k)];
                let sources: BTreeSet<Flx> = match self.roots.get(&(f, k - 1)) {
                    Some(&x) => [x].into(),
                    None => self.attrib_func(f).into_iter().map(|p| p.flx).collect(),
                };
                for src in sources {
                    self.add_edge(src, to, RuptureKind::Post);
                }
            }
        }
    }

    fn reachable(&self, from: Flx, post_only: bool) -> BTreeSet<Flx> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([from]);
        while let Some(x) = queue.pop_front() {
            for e in &self.edges {
                if e.0 == x && (!post_only || e.2 == RuptureKind::Post) && seen.insert(e.1) {
                    queue.push_back(e.1);
                }
            }
        }
        seen
    }

    /// Edge indices of a shortest path from `from` to `to`.
    fn path(&self, from: Flx, to: Flx) -> Option<Vec<usize>> {
        let mut prev: HashMap<Flx, usize> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        let mut seen = BTreeSet::from([from]);
        while let Some(x) = queue.pop_front() {
            if x == to {
                let mut path = Vec::new();
                let mut cur = to;
                while cur != from {
                    let e = prev[&cur];
                    path.push(e);
                    cur = self.edges[e].0;
                }
                path.reverse();
                return Some(path);
            }
            for (i, e) in self.edges.iter().enumerate() {
                if e.0 == x && seen.insert(e.1) {
                    prev.insert(e.1, i);
                    queue.push_back(e.1);
                }
            }
        }
        None
    }

    fn classify(&mut self) -> Vec<Variable> {
        let facts = self.facts;
        // binding -> fluxion -> (read, written, init-only)
        let mut uses: BTreeMap<usize, BTreeMap<Flx, (bool, bool)>> = BTreeMap::new();
        let mut network: BTreeSet<Flx> = BTreeSet::new();
        for a in &facts.accesses {
            for part in self.attrib(a.at) {
                let resource = facts.bindings[a.binding].resource;
                if resource.is_some_and(ResourceKind::is_network) {
                    network.insert(part.flx);
                }
                let top = facts.bindings[a.binding].decl == Place::Top;
                if part.init && top {
                    continue; // initialisation, before any listener fires
                }
                let e = uses
                    .entry(a.binding)
                    .or_default()
                    .entry(part.flx)
                    .or_default();
                e.0 |= !a.write;
                e.1 |= a.write;
            }
        }
        for &p in &facts.network_at {
            for part in self.attrib(p) {
                network.insert(part.flx);
            }
        }
        self.opaque_accesses(&mut uses);
        self.uses = uses.clone();

        let mut vars = Vec::new();
        let mut tags: BTreeMap<Flx, BTreeSet<String>> = BTreeMap::new();
        let mut contexts: BTreeMap<Flx, Vec<(usize, String)>> = BTreeMap::new();
        let mut tag_names: BTreeSet<String> = BTreeSet::new();
        for (b, binding) in facts.bindings.iter().enumerate() {
            let decl: BTreeSet<Flx> = match binding.param_of {
                Some((f, _)) if self.roots.contains_key(&(f, 0)) => [self.roots[&(f, 0)]].into(),
                _ => self
                    .attrib(binding.decl)
                    .into_iter()
                    .map(|p| p.flx)
                    .collect(),
            };
            let top = binding.decl == Place::Top;
            let empty = BTreeMap::new();
            let all = uses.get(&b).unwrap_or(&empty);
            let users: BTreeMap<Flx, (bool, bool)> = all
                .iter()
                .filter(|(x, _)| top || !decl.contains(x))
                .map(|(x, u)| (*x, *u))
                .collect();
            // Listener parameters travel in the message that starts their fluxion.
            let start_param = binding
                .param_of
                .and_then(|(f, _)| self.roots.get(&(f, 0)).copied())
                .filter(|x| {
                    !all.is_empty()
                        && self
                            .edges
                            .iter()
                            .any(|e| e.1 == *x && e.2 == RuptureKind::Start)
                });
            if users.is_empty() && start_param.is_none() {
                continue;
            }
            if top && users.keys().all(|&x| x == MAIN) {
                continue; // module state only main touches
            }
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
                    let mut i = 2;
                    while tag_names.contains(&t) {
                        t = format!("grp_{}_{i}", binding.name);
                        i += 1;
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
                        for e in self.edges.iter_mut() {
                            if e.1 == x && e.2 == RuptureKind::Start {
                                e.3.insert(b);
                            }
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
    fn on_one_post_chain<'x>(
        &self,
        decl: &BTreeSet<Flx>,
        users: impl Iterator<Item = &'x Flx>,
    ) -> bool {
        let users: Vec<Flx> = users.copied().collect();
        decl.iter().any(|&d| {
            let down = self.reachable(d, true);
            users.iter().all(|u| down.contains(u))
                && users.iter().all(|&a| {
                    users.iter().all(|&b| {
                        a == b
                            || self.reachable(a, true).contains(&b)
                            || self.reachable(b, true).contains(&a)
                    })
                })
        })
    }

    /// An opaque function may read and write every variable it can see.
    fn opaque_accesses(&mut self, uses: &mut BTreeMap<usize, BTreeMap<Flx, (bool, bool)>>) {
        let facts = self.facts;
        for (f, func) in facts.funcs.iter().enumerate() {
            if !func.opaque {
                continue;
            }
            let mut visible: BTreeSet<FuncId> = BTreeSet::from([f]);
            let mut p = func.parent;
            while let Place::In(g, _) = p {
                visible.insert(g);
                p = facts.funcs[g].parent;
            }
            let parts = self.attrib(Place::In(f, 0));
            for (b, binding) in facts.bindings.iter().enumerate() {
                let seen = match binding.decl {
                    Place::Top => true,
                    Place::In(g, _) => visible.contains(&g),
                };
                if seen {
                    for part in &parts {
                        let e = uses.entry(b).or_default().entry(part.flx).or_default();
                        *e = (true, true);
                    }
                }
            }
        }
    }

    fn rupture_points(&mut self) -> Vec<RupturePoint> {
        let mut out = Vec::new();
        for site in &self.facts.sites {
            let from: Vec<String> = self
                .attrib(site.at)
                .into_iter()
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

    fn finish_streams(&mut self) {
        let mut edges = self.edges.clone();
        edges.sort_by_key(|e| (e.0, self.fluxions[e.1].span.0));
        for (from, to, kind, vars) in edges {
            let mut vars: Vec<usize> = vars.into_iter().collect();
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
    fn fill_text(&mut self) {
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
        for x in 0..self.fluxions.len() {
            let (lo, hi) = match self.fluxions[x].kind {
                FluxionKind::Continuation => {
                    let (f, k) = *self
                        .roots
                        .iter()
                        .find(|(_, &v)| v == x)
                        .map(|(k, _)| k)
                        .unwrap();
                    let seg = self.facts.funcs[f].segments[k as usize - 1];
                    (seg.stmt_end, seg.body_end)
                }
                _ => self.fluxions[x].span,
            };
            let mut text = String::new();
            let mut pos = lo;
            for (a, b, r) in &repl {
                if *a < pos || *b > hi || (*a == lo && *b == hi) || *a >= hi {
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

impl Builder<'_> {
    fn in_subtree(&self, mut p: Place, f: FuncId) -> bool {
        loop {
            match p {
                Place::Top => return false,
                Place::In(g, _) if g == f => return true,
                Place::In(g, _) => p = self.facts.funcs[g].parent,
            }
        }
    }

    /// The variables a post callback's factory takes, when it can be re-created on another
    /// thread: every variable it uses from the functions around it travels in its message.
    fn factory_params(&self, f: FuncId) -> Option<Vec<String>> {
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
        let mut params: BTreeSet<(usize, usize)> = BTreeSet::new();
        for a in &self.facts.accesses {
            if !self.in_subtree(a.at, f) {
                continue;
            }
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

    fn fill_hints(&mut self) {
        let facts = self.facts;
        let n = self.fluxions.len();
        let mut hints: Vec<Hints> = vec![Hints::default(); n];
        // Resources: member uses and plain reads, per fluxion.
        let mut member: BTreeMap<(Flx, usize), MemberSummary> = BTreeMap::new();
        for u in &facts.member_uses {
            if facts.bindings[u.binding].resource.is_none() {
                continue;
            }
            for part in self.attrib(u.at) {
                let e = member.entry((part.flx, u.binding)).or_default();
                if u.call {
                    e.1.insert(u.prop.clone());
                } else {
                    e.0.insert(u.prop.clone());
                }
                e.2 += 1;
            }
        }
        let mut reads: BTreeMap<(Flx, usize), usize> = BTreeMap::new();
        let mut modules: BTreeMap<Flx, BTreeSet<String>> = BTreeMap::new();
        for a in &facts.accesses {
            let binding = &facts.bindings[a.binding];
            for part in self.attrib(a.at) {
                if binding.resource.is_some() && !a.write {
                    *reads.entry((part.flx, a.binding)).or_default() += 1;
                }
                if let Some(crate::analyze::Origin {
                    root: OriginRoot::Module(m),
                    ..
                }) = &binding.origin
                {
                    if self.kinds.get(&a.binding) == Some(&VarKind::Module) || binding.is_import {
                        modules.entry(part.flx).or_default().insert(m.clone());
                    }
                }
            }
        }
        for (&(x, b), &count) in &reads {
            let binding = &facts.bindings[b];
            let (props, calls, uses) = member.remove(&(x, b)).unwrap_or_default();
            hints[x].resources.push(ResourceUse {
                name: binding.name.clone(),
                kind: binding.resource.expect("filtered above"),
                props: props.into_iter().collect(),
                calls: calls.into_iter().collect(),
                escapes: count > uses,
            });
        }
        let roots: Vec<((FuncId, u32), Flx)> = self.roots.iter().map(|(k, v)| (*k, *v)).collect();
        for ((f, k), x) in roots {
            hints[x].uses_this = facts.funcs[f].uses_this;
            let is_post = facts.sites.iter().any(|s| {
                s.kind == RuptureKind::Post
                    && s.callbacks
                        .iter()
                        .any(|c| matches!(c, Callback::Func { func, .. } if *func == f))
            });
            if k == 0 && is_post {
                hints[x].factory = self.factory_params(f);
            }
        }
        // Written somewhere other than its own declaration (`var n = 0` is not a later write).
        let written_later: BTreeSet<usize> = facts
            .accesses
            .iter()
            .filter(|a| a.write && a.offset != facts.bindings[a.binding].offset)
            .map(|a| a.binding)
            .collect();
        let all_uses = self.uses.clone();
        for (&b, users) in &all_uses {
            let binding = &facts.bindings[b];
            // A variable of an enclosing function (`function build() { const sock = new Sock();
            // app.use(function (req, res, next) { ... sock ... }) }`) is state too: each thread
            // that loads the module makes its own. Only the fluxions that capture it count.
            let captured_by: BTreeSet<Flx> = if binding.decl == Place::Top {
                users.keys().copied().collect()
            } else {
                let decl: BTreeSet<Flx> = match binding.param_of {
                    Some((f, _)) if self.roots.contains_key(&(f, 0)) => {
                        [self.roots[&(f, 0)]].into()
                    }
                    _ => self
                        .attrib(binding.decl)
                        .into_iter()
                        .map(|p| p.flx)
                        .collect(),
                };
                users
                    .keys()
                    .copied()
                    .filter(|x| !decl.contains(x))
                    // A post callback re-created from its factory gets it in its message.
                    .filter(|&x| {
                        !hints[x]
                            .factory
                            .as_ref()
                            .is_some_and(|ps| ps.contains(&binding.name))
                    })
                    .collect()
            };
            if captured_by.is_empty() {
                continue;
            }
            let Some(&kind) = self.kinds.get(&b) else {
                continue;
            };
            if matches!(kind, VarKind::Module | VarKind::Resource) {
                continue;
            }
            // A function never reassigned is code every thread has, even when one fluxion uses it.
            let kind = if binding.func.is_some() && !binding.reassigned {
                VarKind::Code
            } else {
                kind
            };
            for (&x, &(_, w)) in users.iter().filter(|(x, _)| captured_by.contains(x)) {
                hints[x].state.push(StateUse {
                    name: binding.name.clone(),
                    kind,
                    write: w,
                    pure_init: binding.pure_init,
                    constant: binding.pure_init
                        && !binding.reassigned
                        && users.values().all(|&(_, w)| !w),
                    fixed: !binding.reassigned && !written_later.contains(&b),
                    captured: binding.decl != Place::Top,
                    rebound: binding.reassigned,
                    block_scoped: binding.block_scoped,
                });
            }
        }
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
                for part in self.attrib(s.at) {
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
                for part in self.attrib(s.at) {
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
            for part in self.attrib(*at) {
                let list = &mut hints[part.flx].writes_into;
                if !list.contains(&name) {
                    list.push(name.clone());
                }
            }
        }
        for &at in &facts.require_at {
            for part in self.attrib(at) {
                hints[part.flx].dynamic_require = true;
            }
        }
        for (x, h) in hints.into_iter().enumerate() {
            self.fluxions[x].hints = h;
        }
    }

    /// Context-free tails. In a callback that writes its context (`count += 1;
    /// res.send(template(count, data))`), the statements after the last write that only read
    /// the context can run anywhere if they get the values they read: they are split off as a
    /// `__flx.tail(function (count) { ... }, count)` post callback (the module is compiled again
    /// with that text), so the costly part leaves the one thread that hosts the context.
    /// Conservative: no write to anything outside the tail, no call of a function that writes
    /// outside itself, no `this`/`arguments`/`await`/`yield`/`return`, no `var`/`function`
    /// declaration, module state read only if it is this context's, and a module function called
    /// (otherwise the message would cost more than it saves).
    fn tails(&self) -> Vec<Tail> {
        let facts = self.facts;
        let within = |o: usize, span: (usize, usize)| span.0 <= o && o < span.1;
        let ctx = |b: usize| {
            facts.bindings[b].decl == Place::Top
                && facts.bindings[b].func.is_none()
                && matches!(self.kinds.get(&b), Some(VarKind::Scope | VarKind::Share))
        };
        // A function writes outside itself (directly, or through functions it calls; depth 4).
        // A method called on a module (`crypto.createHash`) is not a write: every thread has its
        // own copy of the module, and placement checks which modules a fluxion uses.
        fn writes_outside(facts: &Facts, f: FuncId, depth: u32) -> bool {
            let span = facts.funcs[f].span;
            let inside = |o: usize| span.0 <= o && o < span.1;
            facts.accesses.iter().filter(|a| inside(a.offset)).any(|a| {
                let b = &facts.bindings[a.binding];
                let module = b.is_import
                    || matches!(&b.origin, Some(crate::analyze::Origin { root: OriginRoot::Module(_), segs }) if segs.is_empty());
                (a.write && !inside(b.offset) && !module)
                    || (!a.write
                        && b.func.is_some_and(|g| {
                            g != f && (depth == 0 || writes_outside(facts, g, depth - 1))
                        }))
            })
        }
        let mut out = Vec::new();
        for (&(f, k), &x) in &self.roots {
            let func = &facts.funcs[f];
            if k != 0 || func.is_async || !func.segments.is_empty() || func.stmts.len() < 2 {
                continue;
            }
            if !matches!(self.fluxions[x].kind, FluxionKind::Callback) {
                continue;
            }
            // Only continuations of Node's callback APIs (`fs.readFile(f, reply)`): there a throw
            // was already uncaught and nothing waits for the callback to return. A route handler's
            // throw reaches Express synchronously, an emitter waits for its listeners, and a
            // promise chain goes on when its callback returns: those keep their tails.
            let node_post = facts.sites.iter().any(|s| {
                s.kind == RuptureKind::Post
                    && ![".then", ".catch", ".finally"]
                        .iter()
                        .any(|m| s.pattern.ends_with(m))
                    && s.callbacks
                        .iter()
                        .any(|c| matches!(c, Callback::Func { func, .. } if *func == f))
            });
            if !node_post {
                continue;
            }
            let stmt_writes = |s: (usize, usize)| {
                facts.accesses.iter().any(|a| {
                    within(a.offset, s)
                        && ((a.write && ctx(a.binding))
                            || (!a.write
                                && facts.bindings[a.binding]
                                    .func
                                    .is_some_and(|g| writes_outside(facts, g, 4))))
                })
            };
            let Some(last) = func.stmts.iter().rposition(|&s| stmt_writes(s)) else {
                continue;
            };
            if last + 1 >= func.stmts.len() {
                continue;
            }
            let span = (func.stmts[last + 1].0, func.stmts[func.stmts.len() - 1].1);
            let text = self.src.slice(span.0, span.1);
            let words = [
                "this",
                "arguments",
                "await",
                "yield",
                "return",
                abi::RUNTIME_VAR,
            ];
            let has_word = |w: &str| {
                text.match_indices(w).any(|(i, _)| {
                    let before = text[..i].chars().next_back();
                    let after = text[i + w.len()..].chars().next();
                    let ident = |c: Option<char>| {
                        c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
                    };
                    !ident(before) && !ident(after)
                })
            };
            if words.iter().any(|w| has_word(w)) {
                continue;
            }
            if func.stmts[last + 1..].iter().any(|&(s, e)| {
                let t = self.src.slice(s, e).trim_start();
                t.starts_with("var ")
                    || t.starts_with("function ")
                    || t.starts_with("async function")
            }) {
                continue;
            }
            let mut params: BTreeSet<String> = BTreeSet::new();
            let mut ok = true;
            let mut calls_code = false;
            for a in facts.accesses.iter().filter(|a| within(a.offset, span)) {
                let b = &facts.bindings[a.binding];
                if within(b.offset, span) {
                    continue; // declared in the tail itself
                }
                // Writes: to a request or response (they travel as handles), or to the callback's
                // own variables (nothing runs after the tail to see them).
                let own = matches!(b.decl, Place::In(g, _) if g == f)
                    || b.param_of.is_some_and(|(g, _)| g == f);
                if a.write && b.resource.is_none() && !own {
                    ok = false;
                    break;
                }
                if a.write {
                    continue;
                }
                if let Some(g) = b.func {
                    if writes_outside(facts, g, 4) || b.reassigned {
                        ok = false;
                        break;
                    }
                    calls_code |= facts.funcs[g].parent == Place::Top;
                    continue;
                }
                if b.decl != Place::Top {
                    continue; // a parameter or local of the callback, or of a function around it
                }
                if ctx(a.binding) {
                    params.insert(b.name.clone());
                } else if !matches!(self.kinds.get(&a.binding), Some(VarKind::Module) | None)
                    && (!b.pure_init || b.reassigned)
                {
                    ok = false;
                    break;
                }
            }
            if ok && calls_code {
                out.push(Tail {
                    start: span.0,
                    end: span.1,
                    params: params.into_iter().collect(),
                });
            }
        }
        out.sort_by_key(|t| t.start);
        out
    }

    /// Whether binding `v` is declared inside the function that has `target` as a parameter
    /// (a local of the handler, or of a function within it).
    fn decl_is_within(&self, v: usize, target: usize) -> bool {
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

    /// Whether a copy of the module on another thread would differ from the main thread's: state
    /// written by its fluxions, values computed per thread that it exports or that its functions
    /// read, or top-level state that its (exported) functions change.
    fn stateful(&self) -> bool {
        let facts = self.facts;
        let hidden = facts.accesses.iter().any(|a| {
            let b = &facts.bindings[a.binding];
            matches!(a.at, Place::In(..))
                && b.decl == Place::Top
                && !b.is_import
                && b.resource.is_none()
                && (b.func.is_none() || b.reassigned)
                && (!b.pure_init
                    || b.reassigned
                    || (b.container
                        && facts.accesses.iter().any(|w| {
                            w.binding == a.binding && w.write && matches!(w.at, Place::In(..))
                        })))
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

    /// Wraps every registered callback; re-creatable post callbacks also get a factory.
    fn rewrite(&mut self) -> Rewrite {
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
