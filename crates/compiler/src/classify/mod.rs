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
//!
//! One `Builder` reads the analysis tables and runs the steps in `build`; each file adds its
//! steps to it: `fluxions` (creation, attribution, text), `edges` (streams and searches over
//! them), `variables` (classes, tags, contexts), `hints`, `tails`, `rewrite`.

mod edges;
mod fluxions;
mod hints;
mod rewrite;
mod tails;
mod variables;

use crate::analyze::{BindingId, Callback, Facts, FnRef, FuncId, Place, TypedId};
use crate::graph::{Fluxion, Graph, VarKind};
use crate::rules::RuptureKind;
use crate::source::SourceText;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

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
    /// What `attrib` answered for each function (shared, not copied: it is asked once per
    /// access), and for the top level and each fluxion's own code.
    attrib_memo: HashMap<FuncId, Rc<BTreeSet<Part>>>,
    top_parts: Rc<BTreeSet<Part>>,
    root_parts: HashMap<Flx, Rc<BTreeSet<Part>>>,
    in_progress: BTreeSet<FuncId>,
    edges: Vec<(Flx, Flx, RuptureKind, BTreeSet<BindingId>)>,
    /// Every edge as (from, to, kind): `add_edge` keeps edges unique in O(1).
    edge_set: HashSet<(Flx, Flx, RuptureKind)>,
    /// fluxion -> indices of the edges leaving it, in creation order (the order a scan of
    /// `edges` would meet them, so searches give the same paths as one).
    out: Vec<Vec<usize>>,
    /// fluxion -> the `Start` edges entering it.
    starts_into: HashMap<Flx, Vec<usize>>,
    /// Memo of `reachable(x, true)`: the edges are fixed once `create_edges` has run.
    post_reach: RefCell<HashMap<Flx, Rc<BTreeSet<Flx>>>>,
    /// Memo of breadth-first search trees (reached fluxion -> edge it was reached by) by start.
    bfs_trees: RefCell<HashMap<Flx, Rc<HashMap<Flx, usize>>>>,
    /// Names of fluxions, and the next suffix to try for a taken name (`name_2`, `name_3`...).
    names: HashSet<String>,
    name_suffix: HashMap<String, usize>,
    /// function -> the functions declared directly in it.
    children: Grouped<FuncId>,
    /// function -> the references to it, in source order (`attrib_func` once per function).
    refs_to: Grouped<FnRef>,
    /// function -> indices of the accesses made directly in its body (not in nested functions).
    accesses_in: Grouped<usize>,
    /// Indices of all accesses, by source offset: the accesses inside a byte range are a slice.
    by_offset: Vec<usize>,
    /// Functions passed as callbacks of a post site, and of a post site that is not a promise's.
    post_callbacks: HashSet<FuncId>,
    node_post_callbacks: HashSet<FuncId>,
    /// binding -> fluxion -> (read, written), after initialisation.
    uses: BTreeMap<BindingId, BTreeMap<Flx, (bool, bool)>>,
    kinds: HashMap<BindingId, VarKind>,
}

/// Values grouped by function, in the order given, in one vector (`items[starts[f]..starts[f+1]]`
/// are function `f`'s): no vector per function.
struct Grouped<T> {
    starts: Vec<usize>,
    items: Vec<T>,
}

impl<T> Default for Grouped<T> {
    fn default() -> Self {
        Grouped {
            starts: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<T: Copy> Grouped<T> {
    fn new(n: usize, pairs: impl Iterator<Item = (FuncId, T)>) -> Self {
        // Sized by the upper bound (a filter's source): collected from a filter it would grow
        // by doubling from nothing.
        let mut all = Vec::with_capacity(pairs.size_hint().1.unwrap_or(0));
        all.extend(pairs);
        let pairs = all;
        let mut starts = vec![0usize; n + 1];
        for (f, _) in &pairs {
            starts[f.index() + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        // Every slot is written below: any value does to size the vector (no `Option` per slot
        // and no second pass to unwrap them).
        let mut items: Vec<T> = match pairs.first() {
            Some(&(_, v)) => vec![v; pairs.len()],
            None => Vec::new(),
        };
        for (f, v) in pairs {
            items[next[f.index()]] = v;
            next[f.index()] += 1;
        }
        Grouped { starts, items }
    }

    fn get(&self, f: FuncId) -> &[T] {
        match (self.starts.get(f.index()), self.starts.get(f.index() + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }
}

/// Whether each fluxion's `text` (its code with downstream fluxions replaced) is written: the
/// flx form prints it; the rewritten module the runtime loads does not need it, and for a
/// bundle it is a copy of the whole source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    Fill,
    Skip,
}

pub fn build(file: &str, facts: &Facts, src: &SourceText, texts: Texts) -> Graph {
    let mut b = Builder {
        facts,
        src,
        roots: HashMap::default(),
        fluxions: Vec::new(),
        attrib_memo: HashMap::default(),
        top_parts: Rc::new(BTreeSet::from([Part {
            flx: MAIN,
            init: true,
        }])),
        root_parts: HashMap::default(),
        in_progress: BTreeSet::new(),
        edges: Vec::new(),
        edge_set: HashSet::default(),
        out: Vec::new(),
        starts_into: HashMap::default(),
        post_reach: RefCell::new(HashMap::default()),
        bfs_trees: RefCell::new(HashMap::default()),
        names: HashSet::default(),
        name_suffix: HashMap::default(),
        children: Grouped::default(),
        refs_to: Grouped::default(),
        accesses_in: Grouped::default(),
        by_offset: Vec::new(),
        post_callbacks: HashSet::default(),
        node_post_callbacks: HashSet::default(),
        uses: BTreeMap::new(),
        kinds: HashMap::default(),
    };
    use crate::timings::time;
    time("c.index", || b.index_facts());
    time("c.fluxions", || b.create_fluxions());
    time("c.edges", || b.create_edges());
    let variables = time("c.variables", || b.classify());
    let rupture_points = time("c.ruptures", || b.rupture_points());
    time("c.streams", || b.finish_streams());
    if texts == Texts::Fill {
        time("c.text", || b.fill_text());
    }
    time("c.hints", || b.fill_hints());
    let rewrite = time("c.rewrite", || b.rewrite());
    let stateful = time("c.stateful", || b.stateful());
    let tails = time("c.tails", || b.tails());
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
    /// Lookup tables over the facts, so that no later pass scans every access or site for each
    /// function (a 3.6 MB bundle has tens of thousands of each).
    fn index_facts(&mut self) {
        let facts = self.facts;
        let n = facts.funcs.len();
        self.children = Grouped::new(
            n,
            facts
                .funcs
                .iter_enumerated()
                .filter_map(|(f, func)| match func.parent {
                    Place::In(g, _) => Some((g, f)),
                    Place::Top => None,
                }),
        );
        self.refs_to = Grouped::new(n, facts.fn_refs.iter().map(|r| (r.func, *r)));
        self.accesses_in = Grouped::new(
            n,
            facts
                .accesses
                .iter()
                .enumerate()
                .filter_map(|(i, a)| match a.at {
                    Place::In(g, _) => Some((g, i)),
                    Place::Top => None,
                }),
        );
        // (offset, index) pairs sorted: the order of a stable sort by offset, without looking
        // each access up in the comparisons.
        let mut pairs: Vec<(usize, usize)> = facts
            .accesses
            .iter()
            .enumerate()
            .map(|(i, a)| (a.offset, i))
            .collect();
        pairs.sort_unstable();
        self.by_offset = pairs.into_iter().map(|(_, i)| i).collect();
        for s in &facts.sites {
            if s.kind != RuptureKind::Post {
                continue;
            }
            let promise = [".then", ".catch", ".finally"]
                .iter()
                .any(|m| s.pattern.ends_with(m));
            for c in &s.callbacks {
                if let Callback::Func { func, .. } = c {
                    self.post_callbacks.insert(*func);
                    if !promise {
                        self.node_post_callbacks.insert(*func);
                    }
                }
            }
        }
    }

    /// Indices of the accesses whose offset is in `[lo, hi)`.
    fn accesses_within(&self, (lo, hi): (usize, usize)) -> &[usize] {
        let offset = |&i: &usize| self.facts.accesses[i].offset;
        let start = self.by_offset.partition_point(|i| offset(i) < lo);
        let end = self.by_offset.partition_point(|i| offset(i) < hi);
        &self.by_offset[start..end.max(start)]
    }
}
