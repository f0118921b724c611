//! Frame encoding and decoding (see the crate docs for the wire format).

use std::collections::BTreeMap;

use ciborium::value::Value as Cbor;
use fluxion_versions::{Change, ChangeKind, Diff, Key, Object, Value, VersionId};
use thiserror::Error;

use crate::auth::Token;
use crate::frame::{Field, Frame, RequestType};

/// Bounds the decoder enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted frame body (the CBOR map, without the 4-byte prefix).
    pub max_frame_bytes: usize,
    /// Deepest accepted nesting of CBOR arrays, maps and tags (the frame map is level 1; a
    /// dimension value is at level 6). Keep it in the hundreds at most: decoding recurses.
    pub max_depth: usize,
}

impl Default for Limits {
    /// 16 MiB, 64 levels.
    fn default() -> Self {
        Limits {
            max_frame_bytes: 16 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// Why bytes are not a frame. Decoding never panics; every failure is one of these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// Not all of the frame has arrived: read until `needed` bytes are buffered and retry.
    #[error("incomplete frame: {needed} bytes needed, {available} available")]
    Incomplete { needed: usize, available: usize },
    #[error("frame body of {len} bytes exceeds the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("frame nests deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("malformed CBOR: {0}")]
    Malformed(String),
    #[error("{count} bytes after the CBOR map inside the frame")]
    TrailingBytes { count: usize },
    #[error("frame body is {found}, not a map")]
    NotAMap { found: &'static str },
    #[error("frame key is {found}, not an integer")]
    BadKey { found: &'static str },
    #[error("unknown frame field {0}")]
    UnknownField(i128),
    #[error("field {0} appears twice")]
    DuplicateField(Field),
    #[error("field {field}: expected {expected}, found {found}")]
    FieldType {
        field: Field,
        expected: &'static str,
        found: &'static str,
    },
    #[error("field {field}: {reason}")]
    BadValue { field: Field, reason: String },
    #[error("Data at {path}: {reason}")]
    BadData { path: String, reason: String },
}

/// Encodes a frame: 4-byte big-endian body length, then the CBOR map (fields in key order, absent
/// fields left out).
///
/// # Panics
///
/// If the body exceeds 4 GiB (it cannot be framed).
pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len_bound(frame));
    encode_into(frame, &mut out);
    out
}

/// [`encode`] into `out` (cleared first; it is grown at most once, to the frame's size).
///
/// # Panics
///
/// As [`encode`].
pub fn encode_into(frame: &Frame, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(encoded_len_bound(frame));
    out.extend_from_slice(&[0u8; 4]);
    put_frame(out, frame);
    let len = u32::try_from(out.len() - 4).expect("frame body larger than 4 GiB");
    out[..4].copy_from_slice(&len.to_be_bytes());
}

/// Appends to `out` the frame of one version-graph edge: `StartVersion` = `from`, `EndVersion` =
/// `to`, `Data` = `diff`, exactly as [`encode_into`] encodes that frame, but without the
/// caller building (and so cloning the diff into) a [`Frame`], and without clearing `out`: a
/// store writes a version's incoming edges back to back (`fluxion-got-disk`).
///
/// # Panics
///
/// As [`encode`].
pub fn append_edge(out: &mut Vec<u8>, from: VersionId, to: VersionId, diff: &Diff) {
    out.reserve(4 + 1 + 9 + diff_len_bound(diff) + 2 * 40);
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    head(out, 5, 3);
    head(out, 0, Field::Data.code().into());
    put_diff(out, diff);
    head(out, 0, Field::StartVersion.code().into());
    put_text(out, &from.to_string());
    head(out, 0, Field::EndVersion.code().into());
    put_text(out, &to.to_string());
    let len = u32::try_from(out.len() - start - 4).expect("frame body larger than 4 GiB");
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// An upper bound of the encoded size of a frame, prefix included (one cheap pass over the
/// data, so that the output buffer is allocated once instead of doubling up to twice the
/// frame's size).
pub(crate) fn encoded_len_bound(f: &Frame) -> usize {
    // Every fixed field: 1-byte key + at most 9 bytes; versions are 36-character texts.
    let mut n = 4 + 1 + 9 * 11 + 2 * 40;
    n += f.app_name.as_ref().map_or(0, |a| a.len() + 9);
    n += f.token.as_ref().map_or(0, |t| t.as_str().len() + 9);
    n += f
        .types
        .as_ref()
        .map_or(0, |t| t.iter().map(|s| s.len() + 9).sum::<usize>() + 9);
    if let Some(d) = &f.data {
        n += diff_len_bound(d);
    }
    n
}

/// An upper bound of the encoded size of `Data` holding `d`.
fn diff_len_bound(d: &Diff) -> usize {
    let mut n = 9;
    for (t, per_type) in d.types() {
        n += t.len() + 18;
        for (k, c) in per_type {
            n += match k {
                Key::Int(_) => 9,
                Key::Str(s) => s.len() + 9,
            };
            n += 1 + 2 + 1;
            n += match c {
                Change::New(o) => dims_len_bound(o.dims.iter()),
                Change::Modify(dims) => dims_len_bound(dims.iter()),
                Change::Delete => 0,
            };
        }
    }
    n
}

fn dims_len_bound<'a>(dims: impl Iterator<Item = (&'a String, &'a Value)>) -> usize {
    9 + dims
        .map(|(d, v)| d.len() + 9 + value_len_bound(v))
        .sum::<usize>()
}

fn value_len_bound(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 9,
        Value::Str(s) => s.len() + 9,
        Value::Bytes(b) => b.len() + 9,
        Value::List(l) => 9 + l.iter().map(value_len_bound).sum::<usize>(),
        Value::Map(m) => dims_len_bound(m.iter()),
    }
}

/// Decodes the frame at the start of `buf`; returns it with the number of bytes it took (prefix
/// included), so that a stream reader can drop them and decode the next one.
pub fn decode(buf: &[u8], limits: &Limits) -> Result<(Frame, usize), FrameError> {
    let Some(prefix) = buf.get(..4) else {
        return Err(FrameError::Incomplete {
            needed: 4,
            available: buf.len(),
        });
    };
    let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > limits.max_frame_bytes {
        return Err(FrameError::TooLarge {
            len,
            max: limits.max_frame_bytes,
        });
    }
    let total = len.saturating_add(4);
    let Some(body) = buf.get(4..total) else {
        return Err(FrameError::Incomplete {
            needed: total,
            available: buf.len(),
        });
    };
    if let Some(frame) = crate::fast::frame(body, limits.max_depth) {
        return Ok((frame, total));
    }
    Ok((decode_body_generic(body, limits)?, total))
}

/// Decodes a frame body through ciborium's generic value tree: the reference decoder, used for
/// everything the fast path leaves to it, and the one that names errors.
#[doc(hidden)]
pub fn decode_body_generic(mut body: &[u8], limits: &Limits) -> Result<Frame, FrameError> {
    let value: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut body, limits.max_depth)
        .map_err(|e| match e {
        ciborium::de::Error::RecursionLimitExceeded => FrameError::TooDeep {
            max: limits.max_depth,
        },
        ciborium::de::Error::Io(e) => FrameError::Malformed(format!("truncated CBOR: {e}")),
        ciborium::de::Error::Syntax(at) => {
            FrameError::Malformed(format!("syntax error at byte {at}"))
        }
        ciborium::de::Error::Semantic(at, msg) => FrameError::Malformed(match at {
            Some(at) => format!("{msg} at byte {at}"),
            None => msg,
        }),
    })?;
    if !body.is_empty() {
        return Err(FrameError::TrailingBytes { count: body.len() });
    }
    frame_from_cbor(value)
}

fn kind(v: &Cbor) -> &'static str {
    match v {
        Cbor::Integer(_) => "an integer",
        Cbor::Bytes(_) => "bytes",
        Cbor::Float(_) => "a float",
        Cbor::Text(_) => "text",
        Cbor::Bool(_) => "a bool",
        Cbor::Null => "null",
        Cbor::Tag(..) => "a tagged value",
        Cbor::Array(_) => "an array",
        Cbor::Map(_) => "a map",
        _ => "an unknown CBOR item",
    }
}

// ---------------------------------------------------------------- encoding
//
// Written straight into the output buffer rather than through a `ciborium::Value` tree: the
// tree copied every string and allocated per item, which doubled the cost of encoding a large
// push. The bytes are the same (shortest-form heads, definite lengths, fields in key order).

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        head(out, 0, i as u64);
    } else {
        // -1 - i fits in u64 for every negative i64.
        head(out, 1, (-1 - i as i128) as u64);
    }
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_float(out: &mut Vec<u8>, f: f64) {
    // ciborium picks the shortest exact float width; keep its choice.
    ciborium::ser::into_writer(&f, &mut *out).expect("writing CBOR into a Vec cannot fail");
}

fn put_frame(out: &mut Vec<u8>, f: &Frame) {
    let n = [
        f.app_name.is_some(),
        f.data.is_some(),
        f.request_type.is_some(),
        f.start_version.is_some(),
        f.end_version.is_some(),
        f.wait.is_some(),
        f.wait_timeout.is_some(),
        f.status.is_some(),
        f.types.is_some(),
        f.if_head.is_some(),
        f.token.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    head(out, 5, n as u64);
    let field = |out: &mut Vec<u8>, field: Field| head(out, 0, field.code().into());
    if let Some(a) = &f.app_name {
        field(out, Field::AppName);
        put_text(out, a);
    }
    if let Some(d) = &f.data {
        field(out, Field::Data);
        put_diff(out, d);
    }
    if let Some(r) = f.request_type {
        field(out, Field::RequestType);
        head(out, 0, r.code().into());
    }
    if let Some(v) = f.start_version {
        field(out, Field::StartVersion);
        put_text(out, &v.to_string());
    }
    if let Some(v) = f.end_version {
        field(out, Field::EndVersion);
        put_text(out, &v.to_string());
    }
    if let Some(w) = f.wait {
        field(out, Field::Wait);
        out.push(if w { 0xf5 } else { 0xf4 });
    }
    if let Some(t) = f.wait_timeout {
        field(out, Field::WaitTimeout);
        put_float(out, t);
    }
    if let Some(s) = f.status {
        field(out, Field::Status);
        head(out, 0, s.into());
    }
    if let Some(t) = &f.types {
        field(out, Field::Types);
        head(out, 4, t.len() as u64);
        for n in t {
            put_text(out, n);
        }
    }
    if let Some(h) = f.if_head {
        field(out, Field::IfHead);
        out.push(if h { 0xf5 } else { 0xf4 });
    }
    if let Some(t) = &f.token {
        field(out, Field::Token);
        put_text(out, t.as_str());
    }
}

/// `Data`: `{ type name: { key: { 0: event, 1: { dim: value } } } }`.
fn put_diff(out: &mut Vec<u8>, d: &Diff) {
    let types: Vec<_> = d.types().collect();
    head(out, 5, types.len() as u64);
    for (t, per_type) in types {
        put_text(out, t);
        head(out, 5, per_type.len() as u64);
        for (k, c) in per_type {
            match k {
                Key::Int(i) => put_int(out, *i),
                Key::Str(s) => put_text(out, s),
            }
            head(out, 5, if matches!(c, Change::Delete) { 1 } else { 2 });
            head(out, 0, 0);
            head(out, 0, c.kind().code().into());
            match c {
                Change::New(o) => {
                    head(out, 0, 1);
                    put_dims(out, o.dims.iter());
                }
                Change::Modify(dims) => {
                    head(out, 0, 1);
                    put_dims(out, dims.iter());
                }
                Change::Delete => {}
            }
        }
    }
}

fn put_dims<'a>(out: &mut Vec<u8>, dims: impl ExactSizeIterator<Item = (&'a String, &'a Value)>) {
    head(out, 5, dims.len() as u64);
    for (d, v) in dims {
        put_text(out, d);
        put_value(out, v);
    }
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Int(i) => put_int(out, *i),
        Value::Float(f) => put_float(out, *f),
        Value::Str(s) => put_text(out, s),
        Value::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Value::List(l) => {
            head(out, 4, l.len() as u64);
            for x in l {
                put_value(out, x);
            }
        }
        Value::Map(m) => put_dims(out, m.iter()),
    }
}

// ---------------------------------------------------------------- decoding

fn frame_from_cbor(v: Cbor) -> Result<Frame, FrameError> {
    let Cbor::Map(entries) = v else {
        return Err(FrameError::NotAMap { found: kind(&v) });
    };
    let mut f = Frame::default();
    let mut seen = [false; Field::ALL.len()];
    for (k, v) in entries {
        let Cbor::Integer(code) = k else {
            return Err(FrameError::BadKey { found: kind(&k) });
        };
        let code = i128::from(code);
        let field = Field::from_code(code).ok_or(FrameError::UnknownField(code))?;
        if std::mem::replace(&mut seen[field.code() as usize], true) {
            return Err(FrameError::DuplicateField(field));
        }
        let wrong = |expected: &'static str, v: &Cbor| FrameError::FieldType {
            field,
            expected,
            found: kind(v),
        };
        match field {
            Field::AppName => match v {
                Cbor::Text(s) => f.app_name = Some(s),
                v => return Err(wrong("text", &v)),
            },
            Field::Data => f.data = Some(diff_from_cbor(v)?),
            Field::RequestType => {
                let Cbor::Integer(i) = v else {
                    return Err(wrong("an integer", &v));
                };
                let code = i128::from(i);
                f.request_type =
                    Some(
                        RequestType::from_code(code).ok_or_else(|| FrameError::BadValue {
                            field,
                            reason: format!("unknown request type {code}"),
                        })?,
                    );
            }
            Field::StartVersion | Field::EndVersion => {
                let Cbor::Text(s) = v else {
                    return Err(wrong("text", &v));
                };
                let id: VersionId = s.parse().map_err(|e| FrameError::BadValue {
                    field,
                    reason: format!("{e}"),
                })?;
                if field == Field::StartVersion {
                    f.start_version = Some(id);
                } else {
                    f.end_version = Some(id);
                }
            }
            Field::Wait => match v {
                Cbor::Bool(b) => f.wait = Some(b),
                v => return Err(wrong("a bool", &v)),
            },
            Field::WaitTimeout => {
                let secs = match v {
                    Cbor::Float(x) => x,
                    Cbor::Integer(i) => i128::from(i) as f64,
                    v => return Err(wrong("a number", &v)),
                };
                if !secs.is_finite() || secs < 0.0 {
                    return Err(FrameError::BadValue {
                        field,
                        reason: format!("{secs} is not a duration in seconds"),
                    });
                }
                f.wait_timeout = Some(secs);
            }
            Field::Status => {
                let Cbor::Integer(i) = v else {
                    return Err(wrong("an integer", &v));
                };
                let code = i128::from(i);
                f.status = Some(u16::try_from(code).map_err(|_| FrameError::BadValue {
                    field,
                    reason: format!("status {code} out of range"),
                })?);
            }
            Field::Types => f.types = Some(types_from_cbor(v)?),
            Field::IfHead => match v {
                Cbor::Bool(b) => f.if_head = Some(b),
                v => return Err(wrong("a bool", &v)),
            },
            Field::Token => match v {
                Cbor::Text(s) => f.token = Some(Token::presented(s)),
                v => return Err(wrong("text", &v)),
            },
        }
    }
    Ok(f)
}

/// Types: an array of type names, or (the thesis's Listing 5.2 shape) a map whose keys are the
/// type names.
fn types_from_cbor(v: Cbor) -> Result<Vec<String>, FrameError> {
    let field = Field::Types;
    let names: Vec<Cbor> = match v {
        Cbor::Array(a) => a,
        Cbor::Map(m) => m.into_iter().map(|(k, _)| k).collect(),
        v => {
            return Err(FrameError::FieldType {
                field,
                expected: "an array of type names",
                found: kind(&v),
            })
        }
    };
    names
        .into_iter()
        .map(|n| match n {
            Cbor::Text(s) => Ok(s),
            n => Err(FrameError::FieldType {
                field,
                expected: "text type names",
                found: kind(&n),
            }),
        })
        .collect()
}

fn bad(path: impl std::fmt::Display, reason: impl Into<String>) -> FrameError {
    FrameError::BadData {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Where in Data a value sits, formatted only when there is an error to report: building the
/// string for every dimension cost more than decoding the dimension.
#[derive(Clone, Copy)]
enum DataPath<'a> {
    Object(&'a str, &'a Key),
    Dim(&'a DataPath<'a>, &'a str),
}

impl std::fmt::Display for DataPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataPath::Object(t, k) => write!(f, "/{t}/{k}"),
            DataPath::Dim(parent, d) => write!(f, "{parent}/{d}"),
        }
    }
}

fn diff_from_cbor(v: Cbor) -> Result<Diff, FrameError> {
    let Cbor::Map(types) = v else {
        return Err(FrameError::FieldType {
            field: Field::Data,
            expected: "a map of type names",
            found: kind(&v),
        });
    };
    let mut diff = Diff::new();
    let mut seen_types = std::collections::BTreeSet::new();
    for (t, objs) in types {
        let Cbor::Text(t) = t else {
            return Err(bad("/", format!("type name is {}, not text", kind(&t))));
        };
        if !seen_types.insert(t.clone()) {
            return Err(bad(format!("/{t}"), "type listed twice"));
        }
        let Cbor::Map(objs) = objs else {
            return Err(bad(
                format!("/{t}"),
                format!("expected a map of keys, found {}", kind(&objs)),
            ));
        };
        for (k, change) in objs {
            let key = match k {
                Cbor::Integer(i) => Key::Int(
                    i64::try_from(i128::from(i))
                        .map_err(|_| bad(format!("/{t}"), "integer key out of i64 range"))?,
                ),
                Cbor::Text(s) => Key::Str(s),
                k => {
                    return Err(bad(
                        format!("/{t}"),
                        format!("key is {}, not an integer or text", kind(&k)),
                    ))
                }
            };
            let path = DataPath::Object(&t, &key);
            if diff.get(&t, &key).is_some() {
                return Err(bad(path, "key listed twice"));
            }
            let change = change_from_cbor(&path, &key, change)?;
            diff.insert(t.clone(), key, change);
        }
    }
    Ok(diff)
}

fn change_from_cbor(path: &DataPath, key: &Key, v: Cbor) -> Result<Change, FrameError> {
    let Cbor::Map(entries) = v else {
        return Err(bad(
            path,
            format!("expected a change map, found {}", kind(&v)),
        ));
    };
    let mut event = None;
    let mut dims = None;
    for (k, v) in entries {
        let code = match k {
            Cbor::Integer(i) => i128::from(i),
            k => return Err(bad(path, format!("change key is {}, not 0 or 1", kind(&k)))),
        };
        match code {
            0 => {
                if event.is_some() {
                    return Err(bad(path, "event given twice"));
                }
                let Cbor::Integer(e) = v else {
                    return Err(bad(path, format!("event is {}, not an integer", kind(&v))));
                };
                let e = i128::from(e);
                event = Some(
                    u64::try_from(e)
                        .ok()
                        .and_then(ChangeKind::from_code)
                        .ok_or_else(|| bad(path, format!("unknown event {e}")))?,
                );
            }
            1 => {
                if dims.is_some() {
                    return Err(bad(path, "dims given twice"));
                }
                dims = Some(dims_from_cbor(path, v)?);
            }
            other => return Err(bad(path, format!("unknown change key {other}"))),
        }
    }
    match (event, dims) {
        (None, _) => Err(bad(path, "missing event (key 0)")),
        (Some(ChangeKind::New), Some(dims)) => {
            Ok(Change::New(Object::from_dims(key.clone(), dims)))
        }
        (Some(ChangeKind::Modify), Some(dims)) => Ok(Change::Modify(dims)),
        (Some(ChangeKind::Delete), None) => Ok(Change::Delete),
        (Some(ChangeKind::Delete), Some(_)) => Err(bad(path, "a delete carries no dims")),
        (Some(e), None) => Err(bad(path, format!("a {e} needs dims (key 1)"))),
    }
}

fn dims_from_cbor(path: &DataPath, v: Cbor) -> Result<BTreeMap<String, Value>, FrameError> {
    let Cbor::Map(entries) = v else {
        return Err(bad(path, format!("dims is {}, not a map", kind(&v))));
    };
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        let Cbor::Text(k) = k else {
            return Err(bad(
                path,
                format!("dimension name is {}, not text", kind(&k)),
            ));
        };
        if out.contains_key(&k) {
            return Err(bad(DataPath::Dim(path, &k), "dimension given twice"));
        }
        let v = value_from_cbor(&DataPath::Dim(path, &k), v)?;
        out.insert(k, v);
    }
    Ok(out)
}

fn value_from_cbor(path: &DataPath, v: Cbor) -> Result<Value, FrameError> {
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => Value::Int(
            i64::try_from(i128::from(i)).map_err(|_| bad(path, "integer out of i64 range"))?,
        ),
        Cbor::Float(f) => Value::Float(f),
        Cbor::Text(s) => Value::Str(s.into()),
        Cbor::Bytes(b) => Value::Bytes(b),
        Cbor::Array(a) => Value::List(
            a.into_iter()
                .map(|x| value_from_cbor(path, x))
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Map(_) => Value::Map(dims_from_cbor(path, v)?),
        other => return Err(bad(path, format!("unsupported value: {}", kind(&other)))),
    })
}
