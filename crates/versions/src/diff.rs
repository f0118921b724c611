//! Diffs (per type, per object key: New / Modify / Delete), their composition, and snapshots
//! (the state of every object at one version) they apply to.
//!
//! # Meaning of a change, and the composition table
//!
//! A diff goes from a state `A` to a state `B`. For one object:
//!
//! * `New(o)`: absent in `A`, equal to `o` in `B`;
//! * `Modify(dims)`: present in both; `B` is `A` with `dims` overwritten;
//! * `Delete`: present in `A`, absent in `B`.
//!
//! Composing `first` (A→B) then `second` (B→C) gives one change A→C:
//!
//! | first \ second | New(p)              | Modify(d)        | Delete   |
//! |----------------|---------------------|------------------|----------|
//! | (none)         | New(p)              | Modify(d)        | Delete   |
//! | New(o)         | error               | New(o ⊕ d)       | (none)   |
//! | Modify(a)      | error               | Modify(a ⊕ d)    | Delete   |
//! | Delete         | Modify(all dims of p) | error          | error    |
//!
//! `Delete` then `New(p)` becomes a `Modify` carrying every dimension of `p`: the object existed
//! in `A`, so a `New` would be wrong for a receiver at `A`, and because graph objects are
//! normalised (every declared dimension present) overwriting all of `p`'s dimensions rebuilds
//! `p` exactly. The "error" cells are sequences no valid history contains (creating an object
//! that exists, touching one that does not); they return [`DiffError::InvalidSequence`].
//!
//! Composition is associative and `apply(apply(s, a), b) == apply(s, compose(a, b))` for every
//! state `s` both sides accept (see the property tests).

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::change::Change;
use crate::error::{DiffError, SchemaError};
use crate::object::Object;
use crate::schema::Schema;
use crate::value::{Key, Value};

/// A set of changes: type name → object key → change.
///
/// Serialised (serde) as a map from type name to a list of `[key, change]` pairs, so that integer
/// and string keys both survive formats whose map keys are strings (JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    types: BTreeMap<String, BTreeMap<Key, Change>>,
}

impl Diff {
    pub fn new() -> Self {
        Diff::default()
    }

    /// No change at all.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Number of changed objects.
    pub fn len(&self) -> usize {
        self.types.values().map(BTreeMap::len).sum()
    }

    pub fn get(&self, type_name: &str, key: &Key) -> Option<&Change> {
        self.types.get(type_name)?.get(key)
    }

    /// Sets the change of one object, replacing any previous one (no composition); returns the
    /// previous change.
    pub fn insert<S: AsRef<str> + Into<String>>(
        &mut self,
        type_name: S,
        key: Key,
        change: Change,
    ) -> Option<Change> {
        // The type name is only copied for the type's first change.
        match self.types.get_mut(type_name.as_ref()) {
            Some(per_type) => per_type.insert(key, change),
            None => self
                .types
                .entry(type_name.into())
                .or_default()
                .insert(key, change),
        }
    }

    /// Sets the changes of every object of one type at once (a bulk [`Diff::insert`]: one map
    /// built in one go), replacing what the diff held for that type. An empty map removes the
    /// type.
    pub fn set_type(&mut self, type_name: impl Into<String>, changes: BTreeMap<Key, Change>) {
        let type_name = type_name.into();
        if changes.is_empty() {
            self.types.remove(&type_name);
        } else {
            self.types.insert(type_name, changes);
        }
    }

    /// Removes the change of one object.
    pub fn remove(&mut self, type_name: &str, key: &Key) -> Option<Change> {
        let per_type = self.types.get_mut(type_name)?;
        let old = per_type.remove(key);
        if per_type.is_empty() {
            self.types.remove(type_name);
        }
        old
    }

    /// Records `change` after whatever this diff already holds for the object (composition).
    pub fn push(&mut self, type_name: &str, key: Key, change: Change) -> Result<(), DiffError> {
        let prev = self.remove(type_name, &key);
        let next = match prev {
            None => Some(change),
            Some(first) => compose_change(type_name, &key, first, &change)?,
        };
        if let Some(c) = next {
            self.insert(type_name, key, c);
        }
        Ok(())
    }

    /// Every change, by type then key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Key, &Change)> {
        self.types
            .iter()
            .flat_map(|(t, m)| m.iter().map(move |(k, c)| (t.as_str(), k, c)))
    }

    /// The changes grouped by type.
    pub fn types(&self) -> impl Iterator<Item = (&str, &BTreeMap<Key, Change>)> {
        self.types.iter().map(|(t, m)| (t.as_str(), m))
    }

    /// This diff followed by `later`, as one diff (see the module docs for the table).
    pub fn compose(&self, later: &Diff) -> Result<Diff, DiffError> {
        let mut out = self.clone();
        out.then(later)?;
        Ok(out)
    }

    /// In-place [`Diff::compose`]. On error `self` is left partly composed.
    pub fn then(&mut self, later: &Diff) -> Result<(), DiffError> {
        for (t, k, c) in later.iter() {
            self.push(t, k.clone(), c.clone())?;
        }
        Ok(())
    }

    /// Only the changes of the named types.
    pub fn filter_types<S: AsRef<str>>(&self, names: &[S]) -> Diff {
        Diff {
            types: self
                .types
                .iter()
                .filter(|(t, _)| names.iter().any(|n| n.as_ref() == t.as_str()))
                .map(|(t, m)| (t.clone(), m.clone()))
                .collect(),
        }
    }

    /// Checks every change against the schema and normalises `New` objects (missing dimensions
    /// filled with `Null`).
    pub fn normalize(mut self, schema: &Schema) -> Result<Diff, SchemaError> {
        for (t, per_type) in self.types.iter_mut() {
            let def = schema.get(t)?;
            for (k, c) in per_type.iter_mut() {
                def.check_key(k)?;
                match c {
                    Change::New(o) => {
                        if o.key != *k {
                            return Err(SchemaError::KeyMismatch {
                                type_name: t.clone(),
                                map_key: k.clone(),
                                object_key: o.key.clone(),
                            });
                        }
                        def.normalize_in_place(o)?;
                    }
                    Change::Modify(d) => def.check_dims(k, d.iter())?,
                    Change::Delete => {}
                }
            }
        }
        Ok(self)
    }

    /// The diff that turns snapshot `a` into snapshot `b` (`Modify` carries only the changed
    /// dimensions; a dimension present in `a` but absent in `b` is set to `Null`).
    pub fn between(a: &Snapshot, b: &Snapshot) -> Diff {
        let mut out = Diff::new();
        let empty = BTreeMap::new();
        let names: std::collections::BTreeSet<&String> =
            a.types.keys().chain(b.types.keys()).collect();
        for t in names {
            let ma = a.types.get(t).unwrap_or(&empty);
            let mb = b.types.get(t).unwrap_or(&empty);
            for (k, oa) in ma {
                match mb.get(k) {
                    None => {
                        out.insert(t.clone(), k.clone(), Change::Delete);
                    }
                    Some(ob) => {
                        let dims = changed_dims(oa, ob);
                        if !dims.is_empty() {
                            out.insert(t.clone(), k.clone(), Change::Modify(dims));
                        }
                    }
                }
            }
            for (k, ob) in mb {
                if !ma.contains_key(k) {
                    out.insert(t.clone(), k.clone(), Change::New(ob.clone()));
                }
            }
        }
        out
    }
}

/// Dimensions of `new` that differ from `old` (dimensions only `old` has become `Null`).
pub(crate) fn changed_dims(old: &Object, new: &Object) -> BTreeMap<String, Value> {
    let mut dims: BTreeMap<String, Value> = new
        .dims
        .iter()
        .filter(|(d, v)| old.dims.get(d) != Some(*v))
        .map(|(d, v)| (d.clone(), v.clone()))
        .collect();
    for (d, v) in old.dims.iter() {
        if !new.dims.contains_key(d) && !v.is_null() {
            dims.insert(d.clone(), Value::Null);
        }
    }
    dims
}

fn compose_change(
    type_name: &str,
    key: &Key,
    first: Change,
    second: &Change,
) -> Result<Option<Change>, DiffError> {
    let (fk, sk) = (first.kind(), second.kind());
    Ok(match (first, second) {
        (Change::New(mut o), Change::Modify(d)) => {
            o.dims_mut()
                .extend(d.iter().map(|(k, v)| (k.clone(), v.clone())));
            Some(Change::New(o))
        }
        (Change::New(_), Change::Delete) => None,
        (Change::Modify(mut a), Change::Modify(d)) => {
            a.extend(d.iter().map(|(k, v)| (k.clone(), v.clone())));
            Some(Change::Modify(a))
        }
        (Change::Modify(_), Change::Delete) => Some(Change::Delete),
        (Change::Delete, Change::New(p)) => Some(Change::Modify(p.dims.to_map())),
        _ => {
            return Err(DiffError::InvalidSequence {
                type_name: type_name.to_owned(),
                key: key.clone(),
                first: fk,
                second: sk,
            })
        }
    })
}

impl Serialize for Diff {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.types.len()))?;
        for (t, per_type) in &self.types {
            let entries: Vec<(&Key, &Change)> = per_type.iter().collect();
            map.serialize_entry(t, &entries)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Diff {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = BTreeMap::<String, Vec<(Key, Change)>>::deserialize(d)?;
        let mut out = Diff::new();
        for (t, entries) in repr {
            for (k, c) in entries {
                out.insert(t.clone(), k, c);
            }
        }
        Ok(out)
    }
}

/// The state of every object at one version: type name → key → object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    types: BTreeMap<String, BTreeMap<Key, Object>>,
}

impl Snapshot {
    pub fn new() -> Self {
        Snapshot::default()
    }

    pub fn get(&self, type_name: &str, key: &Key) -> Option<&Object> {
        self.types.get(type_name)?.get(key)
    }

    /// The objects of one type, by key order.
    pub fn objects(&self, type_name: &str) -> impl Iterator<Item = &Object> {
        self.types
            .get(type_name)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// Every object with its type name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Object)> {
        self.types
            .iter()
            .flat_map(|(t, m)| m.values().map(move |o| (t.as_str(), o)))
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.types.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The diff from the empty state to this one (every object `New`).
    pub fn to_diff(&self) -> Diff {
        Diff::between(&Snapshot::new(), self)
    }

    /// Applies a diff. Atomic: every change is checked first (`New` needs an absent object,
    /// `Modify` and `Delete` a present one); on error nothing is changed.
    pub fn apply(&mut self, diff: &Diff) -> Result<(), DiffError> {
        for (t, changes) in diff.types() {
            let current = self.types.get(t);
            for (k, c) in changes {
                let exists = current.is_some_and(|m| m.contains_key(k));
                match (c, exists) {
                    (Change::New(_), true) => {
                        return Err(DiffError::AlreadyExists {
                            type_name: t.to_owned(),
                            key: k.clone(),
                        })
                    }
                    (Change::Modify(_) | Change::Delete, false) => {
                        return Err(DiffError::NotFound {
                            type_name: t.to_owned(),
                            key: k.clone(),
                        })
                    }
                    _ => {}
                }
            }
        }
        for (t, changes) in diff.types() {
            let m = match self.types.get_mut(t) {
                Some(m) => m,
                None => self.types.entry(t.to_owned()).or_default(),
            };
            if m.is_empty() && changes.values().all(|c| matches!(c, Change::New(_))) {
                // A type's first objects (a checkout from scratch, a first push): one map built
                // in one go from the diff's sorted keys rather than one insertion at a time.
                *m = changes
                    .iter()
                    .filter_map(|(k, c)| match c {
                        Change::New(o) => Some((k.clone(), o.clone())),
                        _ => None,
                    })
                    .collect();
            } else {
                for (k, c) in changes {
                    match c {
                        Change::New(o) => {
                            m.insert(k.clone(), o.clone());
                        }
                        Change::Modify(d) => {
                            if let Some(o) = m.get_mut(k) {
                                o.dims_mut()
                                    .extend(d.iter().map(|(k, v)| (k.clone(), v.clone())));
                            }
                        }
                        Change::Delete => {
                            m.remove(k);
                        }
                    }
                }
            }
            if m.is_empty() {
                self.types.remove(t);
            }
        }
        Ok(())
    }
}
