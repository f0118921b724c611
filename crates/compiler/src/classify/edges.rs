//! The stream edges between fluxions, with adjacency lists so that searches (reachability, the
//! path a stream variable travels) cost the edges they visit, not all edges per step.

use super::{Builder, Flx};
use crate::analyze::Callback;
use crate::rules::RuptureKind;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

impl Builder<'_> {
    pub(super) fn add_edge(&mut self, from: Flx, to: Flx, kind: RuptureKind) {
        if self.edge_set.insert((from, to, kind)) {
            let e = self.edges.len();
            self.edges.push((from, to, kind, BTreeSet::new()));
            if self.out.len() <= from {
                self.out.resize(from + 1, Vec::new());
            }
            self.out[from].push(e);
            if kind == RuptureKind::Start {
                self.starts_into.entry(to).or_default().push(e);
            }
        }
    }

    pub(super) fn create_edges(&mut self) {
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
                None => self.attrib(at).iter().map(|p| p.flx).collect(),
            };
            for &src in &sources {
                for &t in &targets {
                    self.add_edge(src, t, kind);
                }
            }
        }
        for f in self.facts.funcs.ids() {
            for k in 1..=self.facts.funcs[f].segments.len() as u32 {
                let to = self.roots[&(f, k)];
                let sources: BTreeSet<Flx> = match self.roots.get(&(f, k - 1)) {
                    Some(&x) => [x].into(),
                    None => self.attrib_func(f).iter().map(|p| p.flx).collect(),
                };
                for src in sources {
                    self.add_edge(src, to, RuptureKind::Post);
                }
            }
        }
    }

    pub(super) fn out_edges(&self, x: Flx) -> &[usize] {
        self.out.get(x).map_or(&[], |v| v.as_slice())
    }

    /// Fluxions reachable from `from` by post edges (memoised: called for every pair of users
    /// of a variable).
    pub(super) fn post_reachable(&self, from: Flx) -> Rc<BTreeSet<Flx>> {
        if let Some(r) = self.post_reach.borrow().get(&from) {
            return r.clone();
        }
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([from]);
        while let Some(x) = queue.pop_front() {
            for &i in self.out_edges(x) {
                let e = &self.edges[i];
                if e.2 == RuptureKind::Post && seen.insert(e.1) {
                    queue.push_back(e.1);
                }
            }
        }
        let r = Rc::new(seen);
        self.post_reach.borrow_mut().insert(from, r.clone());
        r
    }

    /// Edge indices of a shortest path from `from` to `to`. One breadth-first search per start,
    /// memoised: the search meets edges in index order, as a scan of `edges` would, so the path
    /// is the one the first-found rule gives.
    pub(super) fn path(&self, from: Flx, to: Flx) -> Option<Vec<usize>> {
        let tree = self.bfs_tree(from);
        if to != from && !tree.contains_key(&to) {
            return None;
        }
        let mut path = Vec::new();
        let mut cur = to;
        while cur != from {
            let e = tree[&cur];
            path.push(e);
            cur = self.edges[e].0;
        }
        path.reverse();
        Some(path)
    }

    pub(super) fn bfs_tree(&self, from: Flx) -> Rc<HashMap<Flx, usize>> {
        if let Some(t) = self.bfs_trees.borrow().get(&from) {
            return t.clone();
        }
        let mut prev: HashMap<Flx, usize> = HashMap::default();
        let mut queue = VecDeque::from([from]);
        let mut seen = HashSet::from_iter([from]);
        while let Some(x) = queue.pop_front() {
            for &i in self.out_edges(x) {
                let to = self.edges[i].1;
                if seen.insert(to) {
                    prev.insert(to, i);
                    queue.push_back(to);
                }
            }
        }
        let t = Rc::new(prev);
        self.bfs_trees.borrow_mut().insert(from, t.clone());
        t
    }
}
