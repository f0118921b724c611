//! [`Dims`]: the dimensions of one object, a small map sorted by name.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Value;

/// Dimension name → value, sorted by name: the map of an [`crate::Object`].
///
/// A sorted vector rather than a `BTreeMap`: objects have a handful of dimensions, and the
/// smallest `BTreeMap` node takes about 600 bytes, which made every object of a large diff cost
/// a fresh 600-byte allocation (and its page faults) where this takes one of 56 bytes per
/// dimension. The API follows `BTreeMap`'s (`get`, `insert`, `iter` in name order, ...).
#[derive(Clone, Default, PartialEq)]
pub struct Dims(Vec<(String, Value)>);

type Pair = (String, Value);

/// Iterator over `(&name, &value)` in name order.
pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, Pair>, fn(&'a Pair) -> (&'a String, &'a Value)>;

fn as_refs(p: &Pair) -> (&String, &Value) {
    (&p.0, &p.1)
}

impl Dims {
    pub fn new() -> Self {
        Dims(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Dims(Vec::with_capacity(n))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(d, _)| d.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets a dimension; returns its previous value.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.find(name).ok().map(|i| self.0.remove(i).1)
    }

    /// `(&name, &value)` in name order.
    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(as_refs as fn(&Pair) -> (&String, &Value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(d, _)| d)
    }

    /// The same dimensions as a `BTreeMap`.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        self.0.iter().cloned().collect()
    }

    /// Builds from pairs already sorted by name and without duplicates (checked: `None`
    /// otherwise). The decoder's fast path.
    pub fn from_sorted(pairs: Vec<(String, Value)>) -> Option<Self> {
        pairs
            .windows(2)
            .all(|w| w[0].0 < w[1].0)
            .then_some(Dims(pairs))
    }
}

impl Extend<(String, Value)> for Dims {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (d, v) in iter {
            self.insert(d, v);
        }
    }
}

impl FromIterator<(String, Value)> for Dims {
    /// Later values win for a name given twice (as when collecting into a `BTreeMap`).
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut pairs: Vec<Pair> = iter.into_iter().collect();
        if !pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable: equal names keep their order, and the last one is kept below.
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out: Vec<Pair> = Vec::with_capacity(pairs.len());
            for p in pairs {
                match out.last_mut() {
                    Some(last) if last.0 == p.0 => *last = p,
                    _ => out.push(p),
                }
            }
            pairs = out;
        }
        Dims(pairs)
    }
}

impl From<BTreeMap<String, Value>> for Dims {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Dims(m.into_iter().collect())
    }
}

impl From<Dims> for BTreeMap<String, Value> {
    fn from(d: Dims) -> Self {
        d.0.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Dims {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Dims {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Dims {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (d, v) in self {
            m.serialize_entry(d, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Dims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BTreeMap::<String, Value>::deserialize(d).map(Dims::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_btreemap() {
        let mut d: Dims = [
            ("b".to_string(), Value::Int(1)),
            ("a".into(), Value::Int(2)),
        ]
        .into_iter()
        .collect();
        assert_eq!(d.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(d.insert("b".into(), Value::Int(3)), Some(Value::Int(1)));
        assert_eq!(d.insert("c".into(), Value::Null), None);
        assert_eq!(d.get("b"), Some(&Value::Int(3)));
        assert!(!d.contains_key("z"));
        let m: BTreeMap<String, Value> = d.clone().into();
        assert_eq!(Dims::from(m), d);
        let dup: Dims = [
            ("x".to_string(), Value::Int(1)),
            ("x".into(), Value::Int(2)),
        ]
        .into_iter()
        .collect();
        assert_eq!(dup.len(), 1);
        assert_eq!(dup.get("x"), Some(&Value::Int(2)));
        assert!(
            Dims::from_sorted(vec![("b".into(), Value::Null), ("a".into(), Value::Null)]).is_none()
        );
    }
}
