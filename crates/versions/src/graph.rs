//! The version graph: a DAG of versions whose edges carry diffs, with 3-way merge, reference
//! counts and garbage collection.
//!
//! Version ids are [`VersionId`]s (see [`crate::version_id`]); merge functions are
//! [`crate::merge`]'s.
//!
//! # Invariants
//!
//! * Every version is reachable from `ROOT`; the edge `a → b` carries `delta(a, b)`, so every
//!   path between two versions composes to the same diff.
//! * Objects are normalised against the schema (every declared dimension present), which makes
//!   diff composition exact (see [`crate::diff`]).
//! * [`VersionGraph::gc`] keeps `ROOT` and every version with a reference count above zero; it
//!   removes the others, replacing each removed `p → v → c` by an edge `p → c` carrying the
//!   composed diff.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::change::Change;
use crate::diff::{changed_dims, Diff, Snapshot};
use crate::error::{Error, Result};
use crate::merge::{MergeFnDyn, MergeOutcome};
use crate::object::Object;
use crate::schema::Schema;
use crate::value::Key;
use crate::version_id::VersionId;

/// What [`VersionGraph::collect`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    pub removed: Vec<VersionId>,
    /// Surviving versions whose incoming edges now carry composed diffs.
    pub rewired: Vec<VersionId>,
}

#[derive(Debug, Clone, Default)]
struct Node {
    parents: Vec<VersionId>,
    children: Vec<VersionId>,
    refs: usize,
}

/// A DAG of versions rooted at [`VersionId::ROOT`] whose edges carry diffs.
///
/// Not thread-safe by itself: [`crate::Store`] wraps one per app in a mutex.
#[derive(Debug, Clone)]
pub struct VersionGraph {
    schema: Schema,
    nodes: HashMap<VersionId, Node>,
    edges: HashMap<(VersionId, VersionId), Diff>,
    /// The last materialised state (usually the newest commit), to make commits cheap.
    cache: Option<(VersionId, Snapshot)>,
}

impl VersionGraph {
    /// A graph holding only `ROOT` (the empty state).
    pub fn new(schema: Schema) -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(VersionId::ROOT, Node::default());
        VersionGraph {
            schema,
            nodes,
            edges: HashMap::new(),
            cache: Some((VersionId::ROOT, Snapshot::new())),
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn contains(&self, v: VersionId) -> bool {
        self.nodes.contains_key(&v)
    }

    /// Number of versions, `ROOT` included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Only `ROOT` is left.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub fn versions(&self) -> impl Iterator<Item = VersionId> + '_ {
        self.nodes.keys().copied()
    }

    /// Versions without children.
    pub fn leaves(&self) -> Vec<VersionId> {
        let mut v: Vec<_> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.children.is_empty())
            .map(|(id, _)| *id)
            .collect();
        v.sort();
        v
    }

    pub fn parents(&self, v: VersionId) -> Result<&[VersionId]> {
        Ok(&self.node(v)?.parents)
    }

    pub fn children(&self, v: VersionId) -> Result<&[VersionId]> {
        Ok(&self.node(v)?.children)
    }

    /// The diff carried by the edge `from → to`, if that edge exists.
    pub fn edge(&self, from: VersionId, to: VersionId) -> Option<&Diff> {
        self.edges.get(&(from, to))
    }

    fn node(&self, v: VersionId) -> Result<&Node> {
        self.nodes.get(&v).ok_or(Error::UnknownVersion(v))
    }

    fn check(&self, v: VersionId) -> Result<()> {
        self.node(v).map(|_| ())
    }

    /// Commits `diff` as a new child of `parent`, with a fresh random id.
    pub fn commit(&mut self, parent: VersionId, diff: Diff) -> Result<VersionId> {
        self.commit_as(parent, VersionId::random(), diff)
    }

    /// Commits `diff` as a new child `id` of `parent` (used to import versions made elsewhere).
    /// The diff is validated against the schema, normalised, and must apply to the state of
    /// `parent`.
    pub fn commit_as(&mut self, parent: VersionId, id: VersionId, diff: Diff) -> Result<VersionId> {
        self.check(parent)?;
        if self.contains(id) {
            return Err(Error::DuplicateVersion(id));
        }
        let diff = diff.normalize(&self.schema)?;
        let mut state = self.take_state(parent)?;
        if let Err(e) = state.apply(&diff) {
            self.cache = Some((parent, state));
            return Err(e.into());
        }
        self.insert_version(id, vec![(parent, diff)]);
        self.cache = Some((id, state));
        Ok(id)
    }

    fn insert_version(&mut self, id: VersionId, parents: Vec<(VersionId, Diff)>) {
        let mut node = Node::default();
        for (p, diff) in parents {
            if let Some(pn) = self.nodes.get_mut(&p) {
                pn.children.push(id);
            }
            node.parents.push(p);
            self.edges.insert((p, id), diff);
        }
        self.nodes.insert(id, node);
    }

    /// A path `from → … → to` following edges, if `to` descends from `from`.
    fn path(&self, from: VersionId, to: VersionId) -> Option<Vec<VersionId>> {
        if from == to {
            return Some(vec![from]);
        }
        let mut prev: HashMap<VersionId, VersionId> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(v) = queue.pop_front() {
            for &c in &self.nodes.get(&v)?.children {
                if c == from || prev.contains_key(&c) {
                    continue;
                }
                prev.insert(c, v);
                if c == to {
                    let mut path = vec![to];
                    let mut cur = to;
                    while cur != from {
                        cur = prev[&cur];
                        path.push(cur);
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(c);
            }
        }
        None
    }

    /// Whether `descendant` is `ancestor` or reachable from it.
    pub fn is_ancestor(&self, ancestor: VersionId, descendant: VersionId) -> bool {
        self.contains(ancestor)
            && self.contains(descendant)
            && self.path(ancestor, descendant).is_some()
    }

    fn apply_path(&self, state: &mut Snapshot, path: &[VersionId]) -> Result<()> {
        for w in path.windows(2) {
            state.apply(&self.edges[&(w[0], w[1])])?;
        }
        Ok(())
    }

    /// The state (every object) at version `v`.
    pub fn state(&self, v: VersionId) -> Result<Snapshot> {
        self.check(v)?;
        if let Some((c, s)) = &self.cache {
            if let Some(path) = self.path(*c, v) {
                let mut s = s.clone();
                self.apply_path(&mut s, &path)?;
                return Ok(s);
            }
        }
        let path = self
            .path(VersionId::ROOT, v)
            .ok_or(Error::UnknownVersion(v))?;
        let mut s = Snapshot::new();
        self.apply_path(&mut s, &path)?;
        Ok(s)
    }

    fn take_state(&mut self, v: VersionId) -> Result<Snapshot> {
        match self.cache.take() {
            Some((c, s)) if c == v => Ok(s),
            other => {
                self.cache = other;
                self.state(v)
            }
        }
    }

    /// One composed diff that turns the state at `from` into the state at `to` (not the list of
    /// commits between them). Follows edges when `to` descends from `from`, otherwise compares
    /// the two states.
    pub fn delta(&self, from: VersionId, to: VersionId) -> Result<Diff> {
        self.check(from)?;
        self.check(to)?;
        match self.path(from, to) {
            Some(path) => {
                // Start from a clone of the first edge: composing it change by change into an
                // empty diff gives the same diff, one map insertion (and key clone) at a time.
                let mut edges = path.windows(2).map(|w| &self.edges[&(w[0], w[1])]);
                let mut acc = edges.next().cloned().unwrap_or_default();
                for e in edges {
                    acc.then(e)?;
                }
                Ok(acc)
            }
            None => Ok(Diff::between(&self.state(from)?, &self.state(to)?)),
        }
    }

    /// A nearest common ancestor of `a` and `b` (`ROOT` at worst).
    pub fn common_ancestor(&self, a: VersionId, b: VersionId) -> Result<VersionId> {
        self.check(a)?;
        self.check(b)?;
        let mut ancestors = HashSet::from([a]);
        let mut queue = VecDeque::from([a]);
        while let Some(v) = queue.pop_front() {
            for &p in &self.nodes[&v].parents {
                if ancestors.insert(p) {
                    queue.push_back(p);
                }
            }
        }
        let mut seen = HashSet::from([b]);
        let mut queue = VecDeque::from([b]);
        while let Some(v) = queue.pop_front() {
            if ancestors.contains(&v) {
                return Ok(v);
            }
            for &p in &self.nodes[&v].parents {
                if seen.insert(p) {
                    queue.push_back(p);
                }
            }
        }
        Ok(VersionId::ROOT)
    }

    /// Three-way merge of `ours` and `theirs`, which both descend from `base`.
    ///
    /// Changes to different objects, or to different dimensions of one object, combine; the same
    /// change made on both sides is taken once. Any other overlap is a conflict, decided by
    /// `merge_fn(type, original, ours, theirs)` (e.g. [`crate::merge::theirs_wins`]). Returns the merged
    /// version: a new version with parents `ours` and `theirs`, or one of them when the other
    /// adds nothing (fast-forward).
    pub fn merge(
        &mut self,
        base: VersionId,
        ours: VersionId,
        theirs: VersionId,
        merge_fn: &MergeFnDyn,
    ) -> Result<VersionId> {
        self.check(base)?;
        self.check(ours)?;
        self.check(theirs)?;
        if ours == theirs || theirs == base {
            return Ok(ours);
        }
        if ours == base {
            return Ok(theirs);
        }
        let d_ours = self.delta(base, ours)?;
        let d_theirs = self.delta(base, theirs)?;
        let base_state = self.state(base)?;
        let ours_state = self.state(ours)?;
        let theirs_state = self.state(theirs)?;

        let mut merged = Diff::new();
        for (t, k, co) in d_ours.iter() {
            let Some(ct) = d_theirs.get(t, k) else {
                merged.insert(t, k.clone(), co.clone());
                continue;
            };
            let combined = match (co, ct) {
                (Change::Delete, Change::Delete) => Some(Some(Change::Delete)),
                (Change::New(a), Change::New(b)) if a == b => Some(Some(co.clone())),
                // Both sides changed the object: it merges by itself only if they changed
                // different dimensions. The same dimension changed on both sides is a conflict
                // even when both wrote the same value: two increments of a counter from 4 both
                // write 5, and only the merge function knows the answer is 6.
                (Change::Modify(a), Change::Modify(b)) if a.keys().all(|d| !b.contains_key(d)) => {
                    let mut dims = a.clone();
                    dims.extend(b.iter().map(|(d, v)| (d.clone(), v.clone())));
                    Some(Some(Change::Modify(dims)))
                }
                _ => None,
            };
            let change = match combined {
                Some(c) => c,
                None => {
                    let original = base_state.get(t, k);
                    let outcome =
                        merge_fn(t, original, ours_state.get(t, k), theirs_state.get(t, k));
                    self.resolved_change(t, k, original, outcome)?
                }
            };
            if let Some(c) = change {
                merged.insert(t, k.clone(), c);
            }
        }
        for (t, k, ct) in d_theirs.iter() {
            if d_ours.get(t, k).is_none() {
                merged.insert(t, k.clone(), ct.clone());
            }
        }

        let mut merged_state = base_state;
        merged_state.apply(&merged)?;
        let id = VersionId::random();
        let parents = vec![
            (ours, Diff::between(&ours_state, &merged_state)),
            (theirs, Diff::between(&theirs_state, &merged_state)),
        ];
        self.insert_version(id, parents);
        self.cache = Some((id, merged_state));
        Ok(id)
    }

    /// The change from the original object to the merge function's answer.
    fn resolved_change(
        &self,
        type_name: &str,
        key: &Key,
        original: Option<&Object>,
        outcome: MergeOutcome,
    ) -> Result<Option<Change>> {
        let checked = |obj: Object| -> Result<Object> {
            if obj.key != *key {
                return Err(Error::MergeKeyMismatch {
                    type_name: type_name.to_owned(),
                    expected: key.clone(),
                    got: obj.key,
                });
            }
            Ok(self.schema.get(type_name)?.normalize(obj)?)
        };
        Ok(match (original, outcome) {
            (Some(o), MergeOutcome::Keep(n)) => {
                let dims = changed_dims(o, &checked(n)?);
                (!dims.is_empty()).then_some(Change::Modify(dims))
            }
            (Some(_), MergeOutcome::Delete) => Some(Change::Delete),
            (None, MergeOutcome::Keep(n)) => Some(Change::New(checked(n)?)),
            (None, MergeOutcome::Delete) => None,
        })
    }

    /// Adds one reference to `v` (a dataframe's head, a client's last known version, ...).
    pub fn retain(&mut self, v: VersionId) -> Result<()> {
        self.nodes.get_mut(&v).ok_or(Error::UnknownVersion(v))?.refs += 1;
        Ok(())
    }

    /// Drops one reference to `v`; [`Error::RefNotHeld`] if it has none.
    pub fn release(&mut self, v: VersionId) -> Result<()> {
        let node = self.nodes.get_mut(&v).ok_or(Error::UnknownVersion(v))?;
        if node.refs == 0 {
            return Err(Error::RefNotHeld(v));
        }
        node.refs -= 1;
        Ok(())
    }

    /// Moves one reference from `old` to `new` (retain `new`, then release `old`).
    pub fn move_ref(&mut self, old: VersionId, new: VersionId) -> Result<()> {
        if old == new {
            return self.check(new);
        }
        self.retain(new)?;
        if let Err(e) = self.release(old) {
            self.release(new)?;
            return Err(e);
        }
        Ok(())
    }

    /// Reference count of `v` (0 if unknown).
    pub fn refs(&self, v: VersionId) -> usize {
        self.nodes.get(&v).map_or(0, |n| n.refs)
    }

    /// Removes every version but `ROOT` and the referenced ones, composing the diffs of removed
    /// versions into edges between the survivors. Returns how many versions were removed.
    pub fn gc(&mut self) -> Result<usize> {
        Ok(self.collect()?.removed.len())
    }

    /// [`VersionGraph::gc`], telling what changed: the removed versions, and the survivors
    /// whose incoming edges were replaced (a durable store rewrites those).
    pub fn collect(&mut self) -> Result<Collected> {
        let mut doomed: Vec<VersionId> = self
            .nodes
            .iter()
            .filter(|(id, n)| !id.is_root() && n.refs == 0)
            .map(|(id, _)| *id)
            .collect();
        doomed.sort();
        let mut rewired = HashSet::new();
        for &v in &doomed {
            rewired.extend(self.nodes[&v].children.iter().copied());
            self.remove_version(v)?;
        }
        if let Some((c, _)) = &self.cache {
            if !self.nodes.contains_key(c) {
                self.cache = None;
            }
        }
        let mut rewired: Vec<VersionId> = rewired
            .into_iter()
            .filter(|v| self.nodes.contains_key(v))
            .collect();
        rewired.sort();
        Ok(Collected {
            removed: doomed,
            rewired,
        })
    }

    /// The edges into `v`, in the order of its parents (for a merge: ours, then theirs).
    pub fn incoming(&self, v: VersionId) -> Result<Vec<(VersionId, &Diff)>> {
        Ok(self
            .node(v)?
            .parents
            .iter()
            .map(|&p| (p, &self.edges[&(p, v)]))
            .collect())
    }

    /// Every version but `ROOT`, each after all of its parents.
    pub fn topo_order(&self) -> Vec<VersionId> {
        let mut pending: HashMap<VersionId, usize> = self
            .nodes
            .iter()
            .map(|(id, n)| (*id, n.parents.len()))
            .collect();
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut queue = VecDeque::from([VersionId::ROOT]);
        while let Some(v) = queue.pop_front() {
            for &c in &self.nodes[&v].children {
                let n = pending.get_mut(&c).expect("a child is a node");
                *n -= 1;
                if *n == 0 {
                    queue.push_back(c);
                }
            }
            if !v.is_root() {
                order.push(v);
            }
        }
        order
    }

    /// Puts back a version read from a durable store: `id` with its incoming edges, whose
    /// parents must be present already (restore in [`VersionGraph::topo_order`]).
    pub fn restore(&mut self, id: VersionId, parents: Vec<(VersionId, Diff)>) -> Result<()> {
        if self.contains(id) {
            return Err(Error::DuplicateVersion(id));
        }
        if parents.is_empty() {
            return Err(Error::UnknownVersion(id));
        }
        for (p, _) in &parents {
            self.check(*p)?;
        }
        self.insert_version(id, parents);
        Ok(())
    }

    /// Removes `v` if it is an unreferenced leaf (a version whose use failed); returns whether
    /// it was removed.
    pub fn discard(&mut self, v: VersionId) -> bool {
        match self.nodes.get(&v) {
            Some(n) if !v.is_root() && n.refs == 0 && n.children.is_empty() => {
                let ok = self.remove_version(v).is_ok();
                if matches!(&self.cache, Some((c, _)) if *c == v) {
                    self.cache = None;
                }
                ok
            }
            _ => false,
        }
    }

    fn remove_version(&mut self, v: VersionId) -> Result<()> {
        let node = self.node(v)?.clone();
        let mut bridges = Vec::new();
        for &p in &node.parents {
            for &c in &node.children {
                if !self.edges.contains_key(&(p, c)) {
                    bridges.push(((p, c), self.edges[&(p, v)].compose(&self.edges[&(v, c)])?));
                }
            }
        }
        for &p in &node.parents {
            self.edges.remove(&(p, v));
            if let Some(pn) = self.nodes.get_mut(&p) {
                pn.children.retain(|x| *x != v);
            }
        }
        for &c in &node.children {
            self.edges.remove(&(v, c));
            if let Some(cn) = self.nodes.get_mut(&c) {
                cn.parents.retain(|x| *x != v);
            }
        }
        for ((p, c), d) in bridges {
            self.edges.insert((p, c), d);
            if let Some(pn) = self.nodes.get_mut(&p) {
                pn.children.push(c);
            }
            if let Some(cn) = self.nodes.get_mut(&c) {
                cn.parents.push(p);
            }
        }
        self.nodes.remove(&v);
        Ok(())
    }
}
