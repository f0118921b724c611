//! Frame encoding and decoding (see the crate docs for the wire format).

use std::collections::BTreeMap;

use ciborium::value::{Integer, Value as Cbor};
use fluxion_versions::{Change, ChangeKind, Diff, Key, Object, Value, VersionId};
use thiserror::Error;

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
    let mut out = vec![0u8; 4];
    ciborium::ser::into_writer(&frame_to_cbor(frame), &mut out)
        .expect("writing CBOR into a Vec cannot fail");
    let len = u32::try_from(out.len() - 4).expect("frame body larger than 4 GiB");
    out[..4].copy_from_slice(&len.to_be_bytes());
    out
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
    let Some(mut body) = buf.get(4..total) else {
        return Err(FrameError::Incomplete {
            needed: total,
            available: buf.len(),
        });
    };
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
    Ok((frame_from_cbor(value)?, total))
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

fn int(i: impl Into<Integer>) -> Cbor {
    Cbor::Integer(i.into())
}

fn frame_to_cbor(f: &Frame) -> Cbor {
    let mut m: Vec<(Cbor, Cbor)> = Vec::new();
    let mut put = |field: Field, v: Cbor| m.push((int(field.code()), v));
    if let Some(a) = &f.app_name {
        put(Field::AppName, Cbor::Text(a.clone()));
    }
    if let Some(d) = &f.data {
        put(Field::Data, diff_to_cbor(d));
    }
    if let Some(r) = f.request_type {
        put(Field::RequestType, int(r.code()));
    }
    if let Some(v) = f.start_version {
        put(Field::StartVersion, Cbor::Text(v.to_string()));
    }
    if let Some(v) = f.end_version {
        put(Field::EndVersion, Cbor::Text(v.to_string()));
    }
    if let Some(w) = f.wait {
        put(Field::Wait, Cbor::Bool(w));
    }
    if let Some(t) = f.wait_timeout {
        put(Field::WaitTimeout, Cbor::Float(t));
    }
    if let Some(s) = f.status {
        put(Field::Status, int(s));
    }
    if let Some(t) = &f.types {
        put(
            Field::Types,
            Cbor::Array(t.iter().map(|n| Cbor::Text(n.clone())).collect()),
        );
    }
    Cbor::Map(m)
}

/// `Data`: `{ type name: { key: { 0: event, 1: { dim: value } } } }`.
pub(crate) fn diff_to_cbor(d: &Diff) -> Cbor {
    Cbor::Map(
        d.types()
            .map(|(t, per_type)| {
                let objs = per_type
                    .iter()
                    .map(|(k, c)| {
                        let mut entry = vec![(int(0u8), int(c.kind().code()))];
                        match c {
                            Change::New(o) => entry.push((int(1u8), dims_to_cbor(&o.dims))),
                            Change::Modify(dims) => entry.push((int(1u8), dims_to_cbor(dims))),
                            Change::Delete => {}
                        }
                        (key_to_cbor(k), Cbor::Map(entry))
                    })
                    .collect();
                (Cbor::Text(t.to_owned()), Cbor::Map(objs))
            })
            .collect(),
    )
}

fn key_to_cbor(k: &Key) -> Cbor {
    match k {
        Key::Int(i) => int(*i),
        Key::Str(s) => Cbor::Text(s.clone()),
    }
}

fn dims_to_cbor(dims: &BTreeMap<String, Value>) -> Cbor {
    Cbor::Map(
        dims.iter()
            .map(|(d, v)| (Cbor::Text(d.clone()), value_to_cbor(v)))
            .collect(),
    )
}

fn value_to_cbor(v: &Value) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Int(i) => int(*i),
        Value::Float(f) => Cbor::Float(*f),
        Value::Str(s) => Cbor::Text(s.clone()),
        Value::Bytes(b) => Cbor::Bytes(b.clone()),
        Value::List(l) => Cbor::Array(l.iter().map(value_to_cbor).collect()),
        Value::Map(m) => dims_to_cbor(m),
    }
}

// ---------------------------------------------------------------- decoding

fn frame_from_cbor(v: Cbor) -> Result<Frame, FrameError> {
    let Cbor::Map(entries) = v else {
        return Err(FrameError::NotAMap { found: kind(&v) });
    };
    let mut f = Frame::default();
    let mut seen = [false; 9];
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

fn bad(path: impl Into<String>, reason: impl Into<String>) -> FrameError {
    FrameError::BadData {
        path: path.into(),
        reason: reason.into(),
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
            let path = format!("/{t}/{key}");
            if diff.get(&t, &key).is_some() {
                return Err(bad(path, "key listed twice"));
            }
            let change = change_from_cbor(&path, &key, change)?;
            diff.insert(t.clone(), key, change);
        }
    }
    Ok(diff)
}

fn change_from_cbor(path: &str, key: &Key, v: Cbor) -> Result<Change, FrameError> {
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
        (Some(ChangeKind::New), Some(dims)) => Ok(Change::New(Object {
            key: key.clone(),
            dims,
        })),
        (Some(ChangeKind::Modify), Some(dims)) => Ok(Change::Modify(dims)),
        (Some(ChangeKind::Delete), None) => Ok(Change::Delete),
        (Some(ChangeKind::Delete), Some(_)) => Err(bad(path, "a delete carries no dims")),
        (Some(e), None) => Err(bad(path, format!("a {e} needs dims (key 1)"))),
    }
}

fn dims_from_cbor(path: &str, v: Cbor) -> Result<BTreeMap<String, Value>, FrameError> {
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
        let sub = format!("{path}/{k}");
        let v = value_from_cbor(&sub, v)?;
        if out.insert(k, v).is_some() {
            return Err(bad(sub, "dimension given twice"));
        }
    }
    Ok(out)
}

fn value_from_cbor(path: &str, v: Cbor) -> Result<Value, FrameError> {
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => Value::Int(
            i64::try_from(i128::from(i)).map_err(|_| bad(path, "integer out of i64 range"))?,
        ),
        Cbor::Float(f) => Value::Float(f),
        Cbor::Text(s) => Value::Str(s),
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
