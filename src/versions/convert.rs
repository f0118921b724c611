//! JavaScript values <-> [`Value`], through the raw N-API so that the conversion can follow the
//! declared dimension kind (a JS number is an `int` or a `float` depending on the dimension) and
//! report errors that name the type, the object key and the dimension.

use std::collections::BTreeMap;
use std::ffi::c_char;
use std::ptr;
use std::sync::Arc;

use fluxion_versions::{DimKind, Dims, Key, Object, TypeDef, Value};
use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};

/// Largest integer a JS number holds exactly; beyond it `int` values travel as BigInt.
const MAX_SAFE: i64 = (1 << 53) - 1;

/// A JavaScript value received as an argument (valid for the duration of the call). Named
/// after napi's own type so that the generated TypeScript says `unknown`.
#[derive(Clone, Copy)]
pub struct JsUnknown {
    pub env: sys::napi_env,
    pub raw: sys::napi_value,
}

impl TypeName for JsUnknown {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for JsUnknown {}

impl FromNapiValue for JsUnknown {
    unsafe fn from_napi_value(env: sys::napi_env, raw: sys::napi_value) -> napi::Result<Self> {
        Ok(JsUnknown { env, raw })
    }
}

/// A value to hand back to JavaScript.
pub enum Out {
    Null,
    Value(Value),
    /// A flat object: the key dimension and every other dimension.
    Object(String, Key, Arc<Dims>),
    List(Vec<Out>),
}

impl TypeName for Out {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Out {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        out_to_js(env, &val).map_err(napi::Error::from_reason)
    }
}

impl Out {
    pub fn object(def: &TypeDef, obj: &Object) -> Out {
        Out::Object(def.key.clone(), obj.key.clone(), obj.dims.clone())
    }
}

fn check(status: sys::napi_status, what: &str) -> Result<(), String> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(format!("N-API call failed ({what}, status {status})"))
    }
}

/// # Safety
/// `env` must be the current environment of the calling JS thread.
pub unsafe fn type_of(
    env: sys::napi_env,
    v: sys::napi_value,
) -> Result<sys::napi_valuetype, String> {
    let mut t = 0;
    check(sys::napi_typeof(env, v, &mut t), "typeof")?;
    Ok(t)
}

unsafe fn is(
    env: sys::napi_env,
    v: sys::napi_value,
    f: unsafe extern "C" fn(sys::napi_env, sys::napi_value, *mut bool) -> sys::napi_status,
) -> bool {
    let mut b = false;
    f(env, v, &mut b) == sys::Status::napi_ok && b
}

/// # Safety
/// As [`type_of`].
pub unsafe fn get_string(env: sys::napi_env, v: sys::napi_value) -> Result<String, String> {
    let mut len = 0usize;
    check(
        sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len),
        "string length",
    )?;
    let mut buf = vec![0u8; len + 1];
    let mut written = 0usize;
    check(
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), len + 1, &mut written),
        "string",
    )?;
    buf.truncate(written);
    String::from_utf8(buf).map_err(|_| "string is not valid UTF-8".to_owned())
}

unsafe fn get_f64(env: sys::napi_env, v: sys::napi_value) -> Result<f64, String> {
    let mut f = 0.0;
    check(sys::napi_get_value_double(env, v, &mut f), "number")?;
    Ok(f)
}

unsafe fn get_bigint(env: sys::napi_env, v: sys::napi_value) -> Option<i64> {
    let mut i = 0i64;
    let mut lossless = false;
    (sys::napi_get_value_bigint_int64(env, v, &mut i, &mut lossless) == sys::Status::napi_ok
        && lossless)
        .then_some(i)
}

unsafe fn get_bytes(env: sys::napi_env, v: sys::napi_value) -> Option<Vec<u8>> {
    if is(env, v, sys::napi_is_buffer) {
        let mut data = ptr::null_mut();
        let mut len = 0usize;
        if sys::napi_get_buffer_info(env, v, &mut data, &mut len) != sys::Status::napi_ok {
            return None;
        }
        return Some(bytes_at(data.cast(), len));
    }
    if is(env, v, sys::napi_is_typedarray) {
        let mut kind = 0;
        let mut len = 0usize;
        let mut data = ptr::null_mut();
        let mut ab = ptr::null_mut();
        let mut off = 0usize;
        let ok = sys::napi_get_typedarray_info(
            env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off,
        ) == sys::Status::napi_ok;
        if ok && kind == sys::TypedarrayType::uint8_array {
            return Some(bytes_at(data.cast(), len));
        }
    }
    None
}

unsafe fn bytes_at(data: *const u8, len: usize) -> Vec<u8> {
    if len == 0 || data.is_null() {
        Vec::new()
    } else {
        std::slice::from_raw_parts(data, len).to_vec()
    }
}

/// What a JS value is, for error messages.
unsafe fn describe(env: sys::napi_env, v: sys::napi_value) -> String {
    match type_of(env, v) {
        Ok(sys::ValueType::napi_number) => match get_f64(env, v) {
            Ok(f) if f.fract() == 0.0 && f.is_finite() => format!("number {f}"),
            Ok(f) => format!("float {f}"),
            Err(_) => "number".into(),
        },
        Ok(sys::ValueType::napi_string) => match get_string(env, v) {
            Ok(s) if s.chars().count() <= 20 => format!("string {s:?}"),
            _ => "string".into(),
        },
        Ok(sys::ValueType::napi_boolean) => "boolean".into(),
        Ok(sys::ValueType::napi_bigint) => "bigint".into(),
        Ok(sys::ValueType::napi_function) => "function".into(),
        Ok(sys::ValueType::napi_symbol) => "symbol".into(),
        Ok(sys::ValueType::napi_object) if is(env, v, sys::napi_is_array) => "array".into(),
        Ok(sys::ValueType::napi_object) if get_bytes(env, v).is_some() => "Uint8Array".into(),
        Ok(sys::ValueType::napi_object) => "object".into(),
        _ => "value".into(),
    }
}

/// Own enumerable string-keyed properties of a plain object.
unsafe fn entries(
    env: sys::napi_env,
    obj: sys::napi_value,
) -> Result<Vec<(String, sys::napi_value)>, String> {
    let mut names = ptr::null_mut();
    check(
        sys::napi_get_all_property_names(
            env,
            obj,
            sys::KeyCollectionMode::own_only,
            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
            sys::KeyConversion::numbers_to_strings,
            &mut names,
        ),
        "property names",
    )?;
    let mut n = 0u32;
    check(sys::napi_get_array_length(env, names, &mut n), "length")?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut name = ptr::null_mut();
        check(sys::napi_get_element(env, names, i, &mut name), "name")?;
        let mut value = ptr::null_mut();
        check(
            sys::napi_get_property(env, obj, name, &mut value),
            "property",
        )?;
        out.push((get_string(env, name)?, value));
    }
    Ok(out)
}

/// Converts a JS value for a dimension of kind `kind`; the error says what was expected and
/// what was found (the caller adds where).
///
/// # Safety
/// As [`type_of`].
pub unsafe fn to_value(
    env: sys::napi_env,
    v: sys::napi_value,
    kind: DimKind,
    depth: usize,
) -> Result<Value, String> {
    if depth > 64 {
        return Err("value nests deeper than 64 levels".into());
    }
    let t = type_of(env, v)?;
    let wrong = || format!("expects {kind}, found {}", describe(env, v));
    let value = match t {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Value::Null,
        sys::ValueType::napi_boolean => {
            let mut b = false;
            check(sys::napi_get_value_bool(env, v, &mut b), "boolean")?;
            Value::Bool(b)
        }
        sys::ValueType::napi_number => {
            let f = get_f64(env, v)?;
            let int_like = f.fract() == 0.0 && f.abs() <= MAX_SAFE as f64;
            match kind {
                DimKind::Float => Value::Float(f),
                DimKind::Int if int_like => Value::Int(f as i64),
                DimKind::Int if f.fract() == 0.0 && f.is_finite() => {
                    return Err(format!(
                        "expects int, found number {f}, beyond 2^53: pass a BigInt"
                    ))
                }
                DimKind::Any if int_like => Value::Int(f as i64),
                DimKind::Any => Value::Float(f),
                _ => return Err(wrong()),
            }
        }
        sys::ValueType::napi_bigint => match get_bigint(env, v) {
            Some(i) if matches!(kind, DimKind::Int | DimKind::Any) => Value::Int(i),
            None if matches!(kind, DimKind::Int | DimKind::Any) => {
                return Err("expects int, found a BigInt outside the 64-bit range".into())
            }
            _ => return Err(wrong()),
        },
        sys::ValueType::napi_string => Value::Str(get_string(env, v)?.into()),
        sys::ValueType::napi_object => {
            if is(env, v, sys::napi_is_array) {
                let mut n = 0u32;
                check(sys::napi_get_array_length(env, v, &mut n), "length")?;
                let mut list = Vec::with_capacity(n as usize);
                for i in 0..n {
                    let mut e = ptr::null_mut();
                    check(sys::napi_get_element(env, v, i, &mut e), "element")?;
                    let item = to_value(env, e, DimKind::Any, depth + 1)
                        .map_err(|m| format!("[{i}]: {m}"))?;
                    list.push(item);
                }
                Value::List(list)
            } else if let Some(b) = get_bytes(env, v) {
                Value::Bytes(b)
            } else {
                let mut map = BTreeMap::new();
                for (k, e) in entries(env, v)? {
                    let item = to_value(env, e, DimKind::Any, depth + 1)
                        .map_err(|m| format!(".{k}: {m}"))?;
                    map.insert(k, item);
                }
                Value::Map(map)
            }
        }
        _ => return Err(wrong()),
    };
    if kind.accepts(&value) {
        Ok(value)
    } else {
        Err(wrong())
    }
}

/// Converts a key argument for type `def`.
///
/// # Safety
/// As [`type_of`].
pub unsafe fn to_key(env: sys::napi_env, v: sys::napi_value, def: &TypeDef) -> Result<Key, String> {
    let kind = def.key_kind();
    let value = to_value(env, v, kind, 0)
        .map_err(|m| format!("{}: key dimension {:?} {m}", def.name, def.key))?;
    Key::from_value(&value).ok_or_else(|| {
        format!(
            "{}: key dimension {:?} expects {kind}, found {}",
            def.name,
            def.key,
            describe(env, v)
        )
    })
}

/// Converts a flat JS object (key dimension included) into an object of type `def`.
///
/// # Safety
/// As [`type_of`].
pub unsafe fn to_object(
    env: sys::napi_env,
    v: sys::napi_value,
    def: &TypeDef,
) -> Result<Object, String> {
    if type_of(env, v)? != sys::ValueType::napi_object || is(env, v, sys::napi_is_array) {
        return Err(format!(
            "{}: expected an object with key dimension {:?}, found {}",
            def.name,
            def.key,
            describe(env, v)
        ));
    }
    let props = entries(env, v)?;
    let Some((_, kv)) = props.iter().find(|(k, _)| *k == def.key) else {
        return Err(format!("{}: missing key dimension {:?}", def.name, def.key));
    };
    let key = to_key(env, *kv, def)?;
    let dims = to_dims(env, &props, def, &key, true)?;
    def.normalize(Object::from_dims(key, dims))
        .map_err(|e| e.to_string())
}

/// Converts some dimensions of object `key` (the key dimension skipped when `skip_key`).
///
/// # Safety
/// As [`type_of`].
pub unsafe fn to_dims(
    env: sys::napi_env,
    props: &[(String, sys::napi_value)],
    def: &TypeDef,
    key: &Key,
    skip_key: bool,
) -> Result<BTreeMap<String, Value>, String> {
    let mut dims = BTreeMap::new();
    for (name, pv) in props {
        if skip_key && *name == def.key {
            continue;
        }
        let Some(kind) = def.dim_kind(name) else {
            return Err(format!(
                "{} {key}: unknown dimension {name:?} (declared: {})",
                def.name,
                def.dims
                    .iter()
                    .map(|(d, _)| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let value = to_value(env, *pv, kind, 0)
            .map_err(|m| format!("{} {key}: dimension {name:?} {m}", def.name))?;
        dims.insert(name.clone(), value);
    }
    Ok(dims)
}

/// The properties of a plain object argument.
///
/// # Safety
/// As [`type_of`].
pub unsafe fn props(
    env: sys::napi_env,
    v: sys::napi_value,
    what: &str,
) -> Result<Vec<(String, sys::napi_value)>, String> {
    if type_of(env, v)? != sys::ValueType::napi_object || is(env, v, sys::napi_is_array) {
        return Err(format!(
            "{what} must be an object, found {}",
            describe(env, v)
        ));
    }
    entries(env, v)
}

/// The elements of an array argument.
///
/// # Safety
/// As [`type_of`].
pub unsafe fn elements(
    env: sys::napi_env,
    v: sys::napi_value,
    what: &str,
) -> Result<Vec<sys::napi_value>, String> {
    if !is(env, v, sys::napi_is_array) {
        return Err(format!(
            "{what} must be an array, found {}",
            describe(env, v)
        ));
    }
    let mut n = 0u32;
    check(sys::napi_get_array_length(env, v, &mut n), "length")?;
    (0..n)
        .map(|i| {
            let mut e = ptr::null_mut();
            check(sys::napi_get_element(env, v, i, &mut e), "element")?;
            Ok(e)
        })
        .collect()
}

unsafe fn js_string(env: sys::napi_env, s: &str) -> Result<sys::napi_value, String> {
    let mut out = ptr::null_mut();
    check(
        sys::napi_create_string_utf8(env, s.as_ptr() as *const c_char, s.len() as isize, &mut out),
        "create string",
    )?;
    Ok(out)
}

/// # Safety
/// As [`type_of`].
pub unsafe fn value_to_js(env: sys::napi_env, v: &Value) -> Result<sys::napi_value, String> {
    let mut out = ptr::null_mut();
    match v {
        Value::Null => check(sys::napi_get_null(env, &mut out), "null")?,
        Value::Bool(b) => check(sys::napi_get_boolean(env, *b, &mut out), "boolean")?,
        Value::Int(i) if i.abs() <= MAX_SAFE => {
            check(sys::napi_create_double(env, *i as f64, &mut out), "number")?
        }
        Value::Int(i) => check(sys::napi_create_bigint_int64(env, *i, &mut out), "bigint")?,
        Value::Float(f) => check(sys::napi_create_double(env, *f, &mut out), "number")?,
        Value::Str(s) => out = js_string(env, s)?,
        Value::Bytes(b) => {
            let mut data = ptr::null_mut();
            check(
                sys::napi_create_buffer_copy(env, b.len(), b.as_ptr().cast(), &mut data, &mut out),
                "buffer",
            )?
        }
        Value::List(l) => {
            check(
                sys::napi_create_array_with_length(env, l.len(), &mut out),
                "array",
            )?;
            for (i, item) in l.iter().enumerate() {
                let e = value_to_js(env, item)?;
                check(sys::napi_set_element(env, out, i as u32, e), "set element")?;
            }
        }
        Value::Map(m) => {
            check(sys::napi_create_object(env, &mut out), "object")?;
            for (k, item) in m {
                let e = value_to_js(env, item)?;
                check(
                    sys::napi_set_property(env, out, js_string(env, k)?, e),
                    "set",
                )?;
            }
        }
    }
    Ok(out)
}

unsafe fn out_to_js(env: sys::napi_env, o: &Out) -> Result<sys::napi_value, String> {
    match o {
        Out::Null => value_to_js(env, &Value::Null),
        Out::Value(v) => value_to_js(env, v),
        Out::Object(key_dim, key, dims) => {
            let mut out = ptr::null_mut();
            check(sys::napi_create_object(env, &mut out), "object")?;
            let k = value_to_js(env, &key.clone().into())?;
            check(
                sys::napi_set_property(env, out, js_string(env, key_dim)?, k),
                "set",
            )?;
            for (d, v) in dims.iter() {
                let e = value_to_js(env, v)?;
                check(
                    sys::napi_set_property(env, out, js_string(env, d)?, e),
                    "set",
                )?;
            }
            Ok(out)
        }
        Out::List(items) => {
            let mut out = ptr::null_mut();
            check(
                sys::napi_create_array_with_length(env, items.len(), &mut out),
                "array",
            )?;
            for (i, item) in items.iter().enumerate() {
                let e = out_to_js(env, item)?;
                check(sys::napi_set_element(env, out, i as u32, e), "set element")?;
            }
            Ok(out)
        }
    }
}

/// # Safety
/// As [`type_of`].
pub unsafe fn object_to_js(
    env: sys::napi_env,
    def: &TypeDef,
    obj: Option<&Object>,
) -> Result<sys::napi_value, String> {
    match obj {
        None => value_to_js(env, &Value::Null),
        Some(o) => out_to_js(env, &Out::object(def, o)),
    }
}

/// # Safety
/// As [`type_of`].
pub unsafe fn str_to_js(env: sys::napi_env, s: &str) -> Result<sys::napi_value, String> {
    js_string(env, s)
}
