//! The fast path of [`crate::decode`]: straight from bytes to a [`Frame`], without building a
//! generic CBOR value tree first (which allocated every item twice and dominated the decoding
//! of large pushes).
//!
//! It accepts only what the generic path accepts, and decodes it to the same frame; on any
//! doubt — malformed input, a construct it does not handle (tags, indefinite lengths,
//! `undefined`, half-precision NaN, the map form of Types), nesting close to the limit — it
//! answers `None` and the generic path decides, so errors are reported in one place.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use fluxion_versions::{Change, ChangeKind, Diff, Dims, Key, Object, Value, VersionId};

use crate::auth::Token;
use crate::frame::{Frame, RequestType};

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
}

const UINT: u8 = 0;
const NINT: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const SIMPLE: u8 = 7;

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let x = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(x)
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// (major type, additional info, argument). Indefinite lengths and reserved infos → None.
    fn head(&mut self) -> Option<(u8, u8, u64)> {
        let ib = self.byte()?;
        let (major, info) = (ib >> 5, ib & 31);
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().ok()?)),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)),
            27 => u64::from_be_bytes(self.take(8)?.try_into().ok()?),
            _ => return None,
        };
        Some((major, info, arg))
    }

    fn expect(&mut self, major: u8) -> Option<u64> {
        let (m, _, arg) = self.head()?;
        (m == major).then_some(arg)
    }

    fn text(&mut self) -> Option<&'a str> {
        let n = self.expect(TEXT)?;
        std::str::from_utf8(self.take(n)?).ok()
    }

    fn uint(&mut self) -> Option<u64> {
        self.expect(UINT)
    }

    /// A container count, bounded by the bytes left (each entry takes at least one byte), so
    /// that a lying count cannot make us reserve memory.
    fn count(&mut self, major: u8) -> Option<usize> {
        let n = usize::try_from(self.expect(major)?).ok()?;
        (n <= self.b.len() - self.pos).then_some(n)
    }

    fn frame(&mut self) -> Option<Frame> {
        let n = self.count(MAP)?;
        let mut f = Frame::default();
        let mut seen = [false; 11];
        for _ in 0..n {
            let code = usize::try_from(self.uint()?).ok()?;
            if std::mem::replace(seen.get_mut(code)?, true) {
                return None;
            }
            match code {
                0 => f.app_name = Some(self.text()?.to_owned()),
                1 => f.data = Some(self.diff()?),
                2 => f.request_type = Some(RequestType::from_code(self.uint()?.into())?),
                3 => f.start_version = Some(self.text()?.parse::<VersionId>().ok()?),
                4 => f.end_version = Some(self.text()?.parse::<VersionId>().ok()?),
                5 => f.wait = Some(self.boolean()?),
                6 => {
                    let secs = match self.peek()? >> 5 {
                        UINT => self.uint()? as f64,
                        _ => self.float()?,
                    };
                    if !secs.is_finite() || secs < 0.0 {
                        return None;
                    }
                    f.wait_timeout = Some(secs);
                }
                7 => f.status = Some(u16::try_from(self.uint()?).ok()?),
                8 => {
                    if self.max_depth < 2 {
                        return None;
                    }
                    let n = self.count(ARRAY)?;
                    let mut names = Vec::with_capacity(n);
                    for _ in 0..n {
                        names.push(self.text()?.to_owned());
                    }
                    f.types = Some(names);
                }
                9 => f.if_head = Some(self.boolean()?),
                10 => f.token = Some(Token::presented(self.text()?.to_owned())),
                _ => return None,
            }
        }
        Some(f)
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.byte()? {
            0xf4 => Some(false),
            0xf5 => Some(true),
            _ => None,
        }
    }

    fn float(&mut self) -> Option<f64> {
        let (m, info, arg) = self.head()?;
        if m != SIMPLE {
            return None;
        }
        match info {
            25 => half(arg as u16),
            26 => Some(f64::from(f32::from_bits(arg as u32))),
            27 => Some(f64::from_bits(arg)),
            _ => None,
        }
    }

    fn diff(&mut self) -> Option<Diff> {
        // frame map = 1, Data = 2, objects = 3, change = 4, dims = 5
        if self.max_depth <= 5 {
            return None;
        }
        let n = self.count(MAP)?;
        let mut diff = Diff::new();
        let mut types = BTreeSet::new();
        for _ in 0..n {
            let t = self.text()?.to_owned();
            if !types.insert(t.clone()) {
                return None;
            }
            let objs = self.count(MAP)?;
            // Collected, then built into the type's map in one go (no search per object).
            let mut entries: Vec<(Key, Change)> = Vec::with_capacity(objs.min(4096));
            for _ in 0..objs {
                let key = match self.peek()? >> 5 {
                    TEXT => Key::Str(self.text()?.to_owned()),
                    _ => Key::Int(self.int()?),
                };
                let change = self.change(&key)?;
                entries.push((key, change));
            }
            // Encoders write keys in order; anything else is sorted, and a key listed twice is
            // left to the generic path (which reports it).
            if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                if entries.windows(2).any(|w| w[0].0 == w[1].0) {
                    return None;
                }
            }
            diff.set_type(t, entries.into_iter().collect());
        }
        Some(diff)
    }

    fn int(&mut self) -> Option<i64> {
        let (m, _, arg) = self.head()?;
        match m {
            UINT => i64::try_from(arg).ok(),
            NINT => i64::try_from(arg).ok().map(|a| -1 - a),
            _ => None,
        }
    }

    fn change(&mut self, key: &Key) -> Option<Change> {
        let n = self.count(MAP)?;
        let (mut event, mut dims) = (None, None);
        for _ in 0..n {
            match self.uint()? {
                0 if event.is_none() => event = Some(ChangeKind::from_code(self.uint()?)?),
                1 if dims.is_none() => dims = Some(self.object_dims()?),
                _ => return None,
            }
        }
        match (event?, dims) {
            (ChangeKind::New, Some(dims)) => Some(Change::New(Object {
                key: key.clone(),
                dims: Arc::new(dims),
            })),
            (ChangeKind::Modify, Some(dims)) => Some(Change::Modify(dims.into())),
            (ChangeKind::Delete, None) => Some(Change::Delete),
            _ => None,
        }
    }

    /// The dimensions of a change (nesting level 5), straight into a [`Dims`].
    fn object_dims(&mut self) -> Option<Dims> {
        const DEPTH: usize = 5;
        if DEPTH >= self.max_depth {
            return None;
        }
        let n = self.count(MAP)?;
        let mut pairs = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            let k = self.text()?;
            let v = self.value(DEPTH + 1)?;
            pairs.push((k.to_owned(), v));
        }
        // Encoders write names in order; anything else is sorted, and a name given twice is
        // left to the generic path (which reports it).
        if !pairs
            .windows(2)
            .all(|w: &[(String, Value)]| w[0].0 < w[1].0)
        {
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
                return None;
            }
        }
        Some(pairs.into_iter().collect())
    }

    /// A map with text keys at nesting level `depth`.
    fn dims(&mut self, depth: usize) -> Option<BTreeMap<String, Value>> {
        if depth >= self.max_depth {
            return None;
        }
        let n = self.count(MAP)?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let k = self.text()?;
            if out.contains_key(k) {
                return None;
            }
            let v = self.value(depth + 1)?;
            out.insert(k.to_owned(), v);
        }
        Some(out)
    }

    /// A dimension value whose containers would sit at nesting level `depth`.
    fn value(&mut self, depth: usize) -> Option<Value> {
        let first = self.peek()?;
        Some(match first >> 5 {
            UINT | NINT => Value::Int(self.int()?),
            BYTES => {
                let n = self.expect(BYTES)?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            TEXT => Value::Str(self.text()?.into()),
            ARRAY => {
                if depth >= self.max_depth {
                    return None;
                }
                let n = self.count(ARRAY)?;
                let mut l = Vec::with_capacity(n);
                for _ in 0..n {
                    l.push(self.value(depth + 1)?);
                }
                Value::List(l)
            }
            MAP => Value::Map(self.dims(depth)?),
            SIMPLE => match first {
                0xf4 | 0xf5 => Value::Bool(self.boolean()?),
                0xf6 => {
                    self.pos += 1;
                    Value::Null
                }
                0xf9..=0xfb => Value::Float(self.float()?),
                _ => return None,
            },
            _ => return None,
        })
    }
}

/// IEEE half precision to f64 (exact); NaN is left to the generic path.
fn half(h: u16) -> Option<f64> {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    match exp {
        0 => Some(sign * frac * 2f64.powi(-24)),
        31 if frac == 0.0 => Some(sign * f64::INFINITY),
        31 => None,
        e => Some(sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15)),
    }
}

/// The frame in `body` (the CBOR map, without its prefix), or `None` to let the generic
/// decoder decide.
pub(crate) fn frame(body: &[u8], max_depth: usize) -> Option<Frame> {
    let mut r = Reader {
        b: body,
        pos: 0,
        max_depth,
    };
    if max_depth < 1 {
        return None;
    }
    let f = r.frame()?;
    (r.pos == body.len()).then_some(f)
}
