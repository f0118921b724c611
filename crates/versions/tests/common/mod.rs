//! Shared helpers: a deterministic random generator and random valid diffs.
#![allow(dead_code)]

use fluxion_versions::{Change, Diff, DimKind, Key, Object, Schema, Snapshot, TypeDef, Value};

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub fn schema() -> Schema {
    Schema::new([
        TypeDef::new(
            "A",
            "id",
            [
                ("id", DimKind::Int),
                ("x", DimKind::Int),
                ("y", DimKind::Str),
                ("z", DimKind::Any),
            ],
        ),
        TypeDef::new("B", "name", [("name", DimKind::Str), ("v", DimKind::Float)]),
    ])
    .unwrap()
}

fn random_value(rng: &mut Rng, dim: &str) -> Value {
    if rng.chance(10) {
        return Value::Null;
    }
    match dim {
        "x" => Value::Int(rng.below(5) as i64),
        "y" => Value::Str(["a", "b", "c"][rng.below(3) as usize].into()),
        "v" => Value::Float(rng.below(4) as f64 / 2.0),
        _ => match rng.below(4) {
            0 => Value::Bool(rng.chance(50)),
            1 => Value::List(vec![Value::Int(rng.below(3) as i64)]),
            2 => Value::Bytes(vec![rng.below(256) as u8]),
            _ => Value::Map([("k".to_string(), Value::Int(1))].into()),
        },
    }
}

fn dims_of(t: &str) -> &'static [&'static str] {
    if t == "A" {
        &["x", "y", "z"]
    } else {
        &["v"]
    }
}

fn key_of(t: &str, i: u64) -> Key {
    if t == "A" {
        Key::Int(i as i64)
    } else {
        Key::Str(format!("k{i}"))
    }
}

/// A random full (normalised) object.
pub fn random_object(rng: &mut Rng, t: &str, key: Key) -> Object {
    let mut o = Object::empty(key);
    for d in dims_of(t) {
        o.set(*d, random_value(rng, d));
    }
    o
}

/// A random diff that applies to `s`: over a few keys of each type, create absent objects and
/// modify or delete present ones.
pub fn random_diff(rng: &mut Rng, s: &Snapshot) -> Diff {
    let mut d = Diff::new();
    for t in ["A", "B"] {
        for i in 0..5 {
            if !rng.chance(40) {
                continue;
            }
            let key = key_of(t, i);
            let change = if s.get(t, &key).is_some() {
                if rng.chance(30) {
                    Change::Delete
                } else {
                    let mut dims = std::collections::BTreeMap::new();
                    for dim in dims_of(t) {
                        if rng.chance(60) {
                            dims.insert(dim.to_string(), random_value(rng, dim));
                        }
                    }
                    Change::Modify(dims)
                }
            } else {
                Change::New(random_object(rng, t, key.clone()))
            };
            d.insert(t, key, change);
        }
    }
    d
}

pub fn applied(s: &Snapshot, d: &Diff) -> Snapshot {
    let mut s = s.clone();
    s.apply(d).expect("diff applies");
    s
}
