//! Types (the thesis's `pcc_set` classes) and the validation of objects against them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::SchemaError;
use crate::object::Object;
use crate::value::{DimKind, Key, Value};

/// A type of tracked objects: its name, the name of its primary-key dimension and its
/// dimensions (which must include the key dimension, of kind `Int` or `Str`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    pub name: String,
    pub key: String,
    pub dims: Vec<(String, DimKind)>,
}

impl TypeDef {
    /// Builds a type definition; check it with [`TypeDef::validate`] (done by [`Schema::new`]).
    pub fn new<D: Into<String>>(
        name: impl Into<String>,
        key: impl Into<String>,
        dims: impl IntoIterator<Item = (D, DimKind)>,
    ) -> Self {
        TypeDef {
            name: name.into(),
            key: key.into(),
            dims: dims.into_iter().map(|(d, k)| (d.into(), k)).collect(),
        }
    }

    /// Checks the definition itself: non-empty name, no duplicate dimension, a key dimension
    /// that is declared and of kind `Int` or `Str`.
    pub fn validate(&self) -> Result<(), SchemaError> {
        let invalid = |reason: String| SchemaError::InvalidTypeDef {
            type_name: self.name.clone(),
            reason,
        };
        if self.name.is_empty() {
            return Err(invalid("empty type name".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (d, _) in &self.dims {
            if !seen.insert(d.as_str()) {
                return Err(invalid(format!("dimension {d:?} declared twice")));
            }
        }
        match self.dim_kind(&self.key) {
            None => Err(invalid(format!(
                "key dimension {:?} is not declared",
                self.key
            ))),
            Some(DimKind::Int | DimKind::Str) => Ok(()),
            Some(k) => Err(invalid(format!(
                "key dimension {:?} has kind {k}; it must be int or str",
                self.key
            ))),
        }
    }

    /// Kind of a declared dimension.
    pub fn dim_kind(&self, dim: &str) -> Option<DimKind> {
        self.dims.iter().find(|(d, _)| d == dim).map(|(_, k)| *k)
    }

    /// Kind of the key dimension (`Int` or `Str` once validated).
    pub fn key_kind(&self) -> DimKind {
        self.dim_kind(&self.key).unwrap_or(DimKind::Any)
    }

    /// The non-key dimensions.
    pub fn value_dims(&self) -> impl Iterator<Item = (&str, DimKind)> {
        self.dims
            .iter()
            .filter(move |(d, _)| *d != self.key)
            .map(|(d, k)| (d.as_str(), *k))
    }

    /// Checks a key value against the key dimension's kind.
    pub fn check_key(&self, key: &Key) -> Result<(), SchemaError> {
        let kind = self.key_kind();
        if kind == DimKind::Any || kind == key.kind() {
            Ok(())
        } else {
            Err(SchemaError::WrongKeyType {
                type_name: self.name.clone(),
                key: key.clone(),
                expected: kind,
                found: key.kind_name(),
            })
        }
    }

    /// Checks a set of (possibly partial) dimension values for the object `key`: every
    /// dimension declared, of the right kind, and not the key dimension.
    pub fn check_dims<'a>(
        &self,
        key: &Key,
        dims: impl IntoIterator<Item = (&'a String, &'a Value)>,
    ) -> Result<(), SchemaError> {
        for (dim, v) in dims {
            if *dim == self.key {
                return Err(SchemaError::KeyDimInDims {
                    type_name: self.name.clone(),
                    key: key.clone(),
                    dim: dim.clone(),
                });
            }
            match self.dim_kind(dim) {
                None => {
                    return Err(SchemaError::UnknownDim {
                        type_name: self.name.clone(),
                        key: key.clone(),
                        dim: dim.clone(),
                    })
                }
                Some(kind) if !kind.accepts(v) => {
                    return Err(SchemaError::WrongType {
                        type_name: self.name.clone(),
                        key: key.clone(),
                        dim: dim.clone(),
                        expected: kind,
                        found: v.kind_name(),
                    })
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Validates an object (key kind, dimension names and kinds).
    pub fn validate_object(&self, obj: &Object) -> Result<(), SchemaError> {
        self.check_key(&obj.key)?;
        self.check_dims(&obj.key, obj.dims.iter())
    }

    /// Validates an object and fills every missing dimension with `Null`.
    pub fn normalize(&self, mut obj: Object) -> Result<Object, SchemaError> {
        self.normalize_in_place(&mut obj)?;
        Ok(obj)
    }

    /// [`TypeDef::normalize`] in place (the dimensions are only copied if one is missing and
    /// they are shared).
    pub fn normalize_in_place(&self, obj: &mut Object) -> Result<(), SchemaError> {
        self.validate_object(obj)?;
        if self
            .value_dims()
            .any(|(dim, _)| !obj.dims.contains_key(dim))
        {
            let dims = obj.dims_mut();
            for (dim, _) in self.value_dims() {
                if !dims.contains_key(dim) {
                    dims.insert(dim.to_owned(), Value::Null);
                }
            }
        }
        Ok(())
    }

    /// Builds a normalised object from a flat map that holds the key dimension too (the shape a
    /// JavaScript object has).
    pub fn object_from_map(&self, mut map: BTreeMap<String, Value>) -> Result<Object, SchemaError> {
        let kv = map
            .remove(&self.key)
            .ok_or_else(|| SchemaError::MissingKey {
                type_name: self.name.clone(),
                dim: self.key.clone(),
            })?;
        let key = Key::from_value(&kv).ok_or_else(|| SchemaError::WrongKeyType {
            type_name: self.name.clone(),
            key: Key::Str(format!("<{}>", kv.kind_name())),
            expected: self.key_kind(),
            found: kv.kind_name(),
        })?;
        self.normalize(Object::from_dims(key, map))
    }

    /// The flat-map form of an object (key dimension included): inverse of
    /// [`TypeDef::object_from_map`].
    pub fn object_to_map(&self, obj: &Object) -> BTreeMap<String, Value> {
        let mut m = obj.dims.to_map();
        m.insert(self.key.clone(), obj.key.clone().into());
        m
    }
}

/// The set of types a graph, store app or dataframe tracks, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    types: BTreeMap<String, TypeDef>,
}

impl Schema {
    /// Validates every type definition and rejects duplicate names.
    pub fn new(types: impl IntoIterator<Item = TypeDef>) -> Result<Self, SchemaError> {
        let mut map = BTreeMap::new();
        for t in types {
            t.validate()?;
            if map.contains_key(&t.name) {
                return Err(SchemaError::DuplicateType(t.name));
            }
            map.insert(t.name.clone(), t);
        }
        Ok(Schema { types: map })
    }

    /// The definition of a type, or [`SchemaError::UnknownType`].
    pub fn get(&self, name: &str) -> Result<&TypeDef, SchemaError> {
        self.types
            .get(name)
            .ok_or_else(|| SchemaError::UnknownType(name.to_owned()))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TypeDef> {
        self.types.values()
    }
}
