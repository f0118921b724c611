//! [`Object`]: one tracked object, its key and its dimensions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dims::Dims;
use crate::value::{Key, Value};

/// One tracked object: its primary-key value and its dimensions (the key dimension itself is
/// not repeated in `dims`).
///
/// Objects stored in a version graph are *normalised*: every declared dimension is present
/// (missing ones hold [`Value::Null`]). Diff composition relies on this (see [`crate::diff`]).
///
/// The dimensions are shared (`Arc`): snapshots, diffs and graph edges copy objects all the
/// time, and sharing makes that copy a reference-count increment instead of a new map. Change
/// them with [`Object::set`] or [`Object::dims_mut`] (copy on write).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub key: Key,
    pub dims: Arc<Dims>,
}

impl Object {
    pub fn new<K, D, V>(key: K, dims: impl IntoIterator<Item = (D, V)>) -> Self
    where
        K: Into<Key>,
        D: Into<String>,
        V: Into<Value>,
    {
        Object {
            key: key.into(),
            dims: Arc::new(
                dims.into_iter()
                    .map(|(d, v)| (d.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// An object from its key and dimension map.
    pub fn from_dims(key: impl Into<Key>, dims: impl Into<Dims>) -> Self {
        Object {
            key: key.into(),
            dims: Arc::new(dims.into()),
        }
    }

    /// The dimensions, for changing them (copied first if another object shares them).
    pub fn dims_mut(&mut self) -> &mut Dims {
        Arc::make_mut(&mut self.dims)
    }

    /// An object with no dimension yet (normalisation fills the declared ones with `Null`).
    pub fn empty(key: impl Into<Key>) -> Self {
        Object {
            key: key.into(),
            dims: Arc::default(),
        }
    }

    /// The value of a dimension (`None` when absent; normalised objects have every dimension).
    pub fn get(&self, dim: &str) -> Option<&Value> {
        self.dims.get(dim)
    }

    /// Sets one dimension (not validated: validation happens when the object enters a dataframe
    /// or a graph).
    pub fn set(&mut self, dim: impl Into<String>, v: impl Into<Value>) {
        self.dims_mut().insert(dim.into(), v.into());
    }

    /// Builder form of [`Object::set`].
    pub fn with(mut self, dim: impl Into<String>, v: impl Into<Value>) -> Self {
        self.set(dim, v);
        self
    }
}
