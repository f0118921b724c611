//! Python values ↔ dimension values: None, bool, int (64-bit), float, str, bytes, list/tuple,
//! dict with str keys.

use std::collections::BTreeMap;

use fluxion_versions::{Key, Object, TypeDef, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A Python value that no dimension can hold, with what it was.
pub fn to_value(v: &Bound<'_, PyAny>, depth: usize) -> Result<Value, String> {
    if depth > 64 {
        return Err("value nests deeper than 64 levels".into());
    }
    if v.is_none() {
        Ok(Value::Null)
    } else if v.is_instance_of::<PyBool>() {
        Ok(Value::Bool(v.extract::<bool>().map_err(|e| e.to_string())?))
    } else if v.is_instance_of::<PyInt>() {
        v.extract::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("integer {v} does not fit in 64 bits"))
    } else if v.is_instance_of::<PyFloat>() {
        Ok(Value::Float(v.extract::<f64>().map_err(|e| e.to_string())?))
    } else if let Ok(s) = v.downcast::<PyString>() {
        Ok(Value::Str(
            s.to_cow().map_err(|e| e.to_string())?.as_ref().into(),
        ))
    } else if let Ok(b) = v.downcast::<PyBytes>() {
        Ok(Value::Bytes(b.as_bytes().to_vec()))
    } else if let Ok(l) = v.downcast::<PyList>() {
        l.iter()
            .map(|x| to_value(&x, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::List)
    } else if let Ok(t) = v.downcast::<PyTuple>() {
        t.iter()
            .map(|x| to_value(&x, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::List)
    } else if let Ok(d) = v.downcast::<PyDict>() {
        let mut m = BTreeMap::new();
        for (k, x) in d.iter() {
            let k = k
                .downcast::<PyString>()
                .map_err(|_| format!("map keys must be str, found {}", type_name(&k)))?
                .to_string();
            m.insert(k, to_value(&x, depth + 1)?);
        }
        Ok(Value::Map(m))
    } else {
        Err(format!(
            "a {} cannot be stored in a dimension",
            type_name(v)
        ))
    }
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

pub fn from_value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::List(l) => {
            let items = l
                .iter()
                .map(|x| from_value(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Map(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, from_value(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A key from Python (int or str, as the type's key dimension says).
pub fn to_key(def: &TypeDef, v: &Bound<'_, PyAny>) -> Result<Key, String> {
    let value = to_value(v, 0)?;
    let key = Key::from_value(&value).ok_or_else(|| {
        format!(
            "{}: a key is an int or a str, found {}",
            def.name,
            type_name(v)
        )
    })?;
    def.check_key(&key).map_err(|e| e.to_string())?;
    Ok(key)
}

/// An object from a dict holding every dimension given (the key dimension included).
pub fn to_object(def: &TypeDef, d: &Bound<'_, PyAny>) -> Result<Object, String> {
    let d = d
        .downcast::<PyDict>()
        .map_err(|_| format!("{}: an object is a dict, found {}", def.name, type_name(d)))?;
    let mut map = BTreeMap::new();
    for (k, v) in d.iter() {
        let k: String = k
            .extract()
            .map_err(|_| format!("{}: dimension names are str", def.name))?;
        let v = to_value(&v, 1).map_err(|e| format!("{} dimension {k:?}: {e}", def.name))?;
        map.insert(k, v);
    }
    def.object_from_map(map).map_err(|e| e.to_string())
}

/// The dict of an object (the key dimension included).
pub fn object_dict<'py>(
    py: Python<'py>,
    def: &TypeDef,
    o: &Object,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(&def.key, from_value(py, &o.key.clone().into())?)?;
    for (k, v) in o.dims.iter() {
        d.set_item(k, from_value(py, v)?)?;
    }
    Ok(d)
}
