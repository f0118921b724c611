//! Version graph, schema and id details.

mod common;

use std::collections::BTreeMap;

use common::schema;
use fluxion_versions::{
    theirs_wins, Change, Diff, DimKind, Error, Key, MergeOutcome, Object, Schema, SchemaError,
    TypeDef, Value, VersionGraph, VersionId,
};

fn new_a(id: i64, x: i64) -> Diff {
    let mut d = Diff::new();
    d.insert("A", Key::Int(id), Change::New(Object::new(id, [("x", x)])));
    d
}

fn modify_a(id: i64, dim: &str, v: impl Into<Value>) -> Diff {
    let mut d = Diff::new();
    d.insert(
        "A",
        Key::Int(id),
        Change::Modify(BTreeMap::from([(dim.to_string(), v.into())])),
    );
    d
}

#[test]
fn commit_normalises_and_validates() {
    let mut g = VersionGraph::new(schema());
    let v1 = g.commit(VersionId::ROOT, new_a(1, 5)).unwrap();
    let s = g.state(v1).unwrap();
    let o = s.get("A", &Key::Int(1)).unwrap();
    assert_eq!(o.get("y"), Some(&Value::Null));
    assert_eq!(o.get("z"), Some(&Value::Null));
    // wrong kind: typed error naming type, key and dimension
    let err = g.commit(v1, modify_a(1, "x", "five")).unwrap_err();
    assert_eq!(
        err,
        Error::Schema(SchemaError::WrongType {
            type_name: "A".into(),
            key: Key::Int(1),
            dim: "x".into(),
            expected: DimKind::Int,
            found: "str",
        })
    );
    // not applicable to the parent's state
    assert!(matches!(g.commit(v1, new_a(1, 1)), Err(Error::Diff(_))));
    assert!(matches!(
        g.commit(VersionId::ROOT, modify_a(1, "x", 1)),
        Err(Error::Diff(_))
    ));
    // unknown type, mismatched key
    let mut d = Diff::new();
    d.insert("Nope", Key::Int(1), Change::Delete);
    assert!(matches!(
        g.commit(v1, d),
        Err(Error::Schema(SchemaError::UnknownType(_)))
    ));
    let mut d = Diff::new();
    d.insert("A", Key::Int(2), Change::New(Object::new(3, [("x", 1)])));
    assert!(matches!(
        g.commit(v1, d),
        Err(Error::Schema(SchemaError::KeyMismatch { .. }))
    ));
    // duplicate ids
    assert_eq!(
        g.commit_as(v1, v1, Diff::new()),
        Err(Error::DuplicateVersion(v1))
    );
    assert_eq!(g.len(), 2);
}

#[test]
fn merge_fast_forwards_and_combines() {
    let mut g = VersionGraph::new(schema());
    let base = g.commit(VersionId::ROOT, new_a(1, 0)).unwrap();
    let ours = g.commit(base, modify_a(1, "x", 1)).unwrap();
    assert_eq!(g.merge(base, ours, base, &theirs_wins).unwrap(), ours);
    assert_eq!(g.merge(base, base, ours, &theirs_wins).unwrap(), ours);
    let theirs = g.commit(base, modify_a(1, "y", "t")).unwrap();
    let m = g
        .merge(
            base,
            ours,
            theirs,
            &|_: &str, _: Option<&Object>, _: Option<&Object>, _: Option<&Object>| {
                panic!("no conflict")
            },
        )
        .unwrap();
    assert_eq!(g.parents(m).unwrap(), &[ours, theirs]);
    let o = g.state(m).unwrap().get("A", &Key::Int(1)).unwrap().clone();
    assert_eq!(
        (o.get("x"), o.get("y")),
        (Some(&Value::Int(1)), Some(&Value::from("t")))
    );
    assert_eq!(g.common_ancestor(ours, theirs).unwrap(), base);
    assert!(g.is_ancestor(base, m));
    // deltas along either parent compose to the same state
    let s_m = g.state(m).unwrap();
    for p in [ours, theirs, base, VersionId::ROOT] {
        let mut s = g.state(p).unwrap();
        s.apply(&g.delta(p, m).unwrap()).unwrap();
        assert_eq!(s, s_m);
    }
}

#[test]
fn conflicts_go_to_the_merge_function() {
    let mut g = VersionGraph::new(schema());
    let base = g.commit(VersionId::ROOT, new_a(1, 0)).unwrap();
    let ours = g.commit(base, modify_a(1, "x", 1)).unwrap();
    let theirs = g.commit(base, modify_a(1, "x", 2)).unwrap();
    // default: theirs wins
    let m = g.merge(base, ours, theirs, &theirs_wins).unwrap();
    assert_eq!(
        g.state(m).unwrap().get("A", &Key::Int(1)).unwrap().get("x"),
        Some(&Value::Int(2))
    );
    // application rule: delete on conflict
    let m = g
        .merge(
            base,
            ours,
            theirs,
            &|_: &str, o: Option<&Object>, y: Option<&Object>, t: Option<&Object>| {
                assert!(o.is_some() && y.is_some() && t.is_some());
                MergeOutcome::Delete
            },
        )
        .unwrap();
    assert!(g.state(m).unwrap().is_empty());
    // a merge function answering the wrong key is a typed error
    let err = g
        .merge(
            base,
            ours,
            theirs,
            &|_: &str, _: Option<&Object>, _: Option<&Object>, _: Option<&Object>| {
                MergeOutcome::Keep(Object::new(99, [("x", 0)]))
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::MergeKeyMismatch { .. }));
    // both sides create the same key differently
    let a = g.commit(VersionId::ROOT, new_a(7, 1)).unwrap();
    let b = g.commit(VersionId::ROOT, new_a(7, 2)).unwrap();
    let m = g.merge(VersionId::ROOT, a, b, &theirs_wins).unwrap();
    assert_eq!(
        g.state(m).unwrap().get("A", &Key::Int(7)).unwrap().get("x"),
        Some(&Value::Int(2))
    );
}

#[test]
fn refs_and_gc() {
    let mut g = VersionGraph::new(schema());
    let mut v = VersionId::ROOT;
    for i in 0..10 {
        v = g
            .commit(
                v,
                if i == 0 {
                    new_a(1, 0)
                } else {
                    modify_a(1, "x", i)
                },
            )
            .unwrap();
    }
    assert_eq!(g.len(), 11);
    assert_eq!(g.release(v), Err(Error::RefNotHeld(v)));
    g.retain(v).unwrap();
    assert_eq!(g.gc().unwrap(), 9);
    assert_eq!(g.len(), 2);
    assert_eq!(g.edge_count(), 1);
    assert_eq!(g.parents(v).unwrap(), &[VersionId::ROOT]);
    let d = g.edge(VersionId::ROOT, v).unwrap();
    assert_eq!(
        d.get("A", &Key::Int(1)),
        Some(&Change::New(Object::new(
            1,
            [("x", Value::Int(9)), ("y", Value::Null), ("z", Value::Null)]
        )))
    );
    g.release(v).unwrap();
    g.gc().unwrap();
    assert!(g.is_empty());
    assert!(matches!(g.state(v), Err(Error::UnknownVersion(_))));
}

#[test]
fn version_ids() {
    let a = VersionId::random();
    let b = VersionId::random();
    assert_ne!(a, b);
    assert!(!a.is_root());
    let s = a.to_string();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
    assert_eq!(s.parse::<VersionId>().unwrap(), a);
    assert_eq!(s.replace('-', "").parse::<VersionId>().unwrap(), a);
    assert_eq!("ROOT".parse::<VersionId>().unwrap(), VersionId::ROOT);
    assert!("04a17d60".parse::<VersionId>().is_err());
    assert!("zz".repeat(16).parse::<VersionId>().is_err());
}

#[test]
fn type_definitions_are_checked() {
    let bad_key = TypeDef::new("T", "k", [("k", DimKind::Float)]);
    assert!(matches!(
        Schema::new([bad_key]),
        Err(SchemaError::InvalidTypeDef { .. })
    ));
    let missing_key = TypeDef::new("T", "k", [("x", DimKind::Int)]);
    assert!(Schema::new([missing_key]).is_err());
    let dup = TypeDef::new("T", "k", [("k", DimKind::Int), ("k", DimKind::Int)]);
    assert!(Schema::new([dup]).is_err());
    let t = TypeDef::new("T", "k", [("k", DimKind::Int)]);
    assert_eq!(
        Schema::new([t.clone(), t.clone()]),
        Err(SchemaError::DuplicateType("T".into()))
    );
    // flat-map form (the key inside, as in a JavaScript object)
    let s = schema();
    let a = s.get("A").unwrap();
    let m = BTreeMap::from([
        ("id".to_string(), Value::Int(4)),
        ("x".to_string(), Value::Int(1)),
    ]);
    let o = a.object_from_map(m).unwrap();
    assert_eq!(o.key, Key::Int(4));
    assert_eq!(a.object_to_map(&o).get("id"), Some(&Value::Int(4)));
    assert!(matches!(
        a.object_from_map(BTreeMap::new()),
        Err(SchemaError::MissingKey { .. })
    ));
}

#[test]
fn values_serialise_naturally() {
    let v = Value::Map(BTreeMap::from([
        ("i".to_string(), Value::Int(-3)),
        ("f".to_string(), Value::Float(1.5)),
        ("n".to_string(), Value::Null),
        (
            "l".to_string(),
            Value::List(vec![Value::Bool(true), Value::from("s")]),
        ),
    ]));
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, r#"{"f":1.5,"i":-3,"l":[true,"s"],"n":null}"#);
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), v);
    assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
    assert_eq!(serde_json::to_string(&Key::from("k")).unwrap(), "\"k\"");
    assert_eq!(serde_json::from_str::<Key>("5").unwrap(), Key::Int(5));
}
