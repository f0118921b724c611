//! The Spacetime 2.1 dialect: detection and Data conversion (the live test with the real
//! `spacetime` package is __test__/got-spacetime.test.js).

use ciborium::value::Value as Cbor;
use fluxion_got_protocol::spacetime::{
    diff_from_spacetime, diff_to_spacetime, is_spacetime, parse_request, Request,
};
use fluxion_got_protocol::{encode, Frame, Limits};
use fluxion_versions::{Change, Diff, DimKind, Key, Object, Schema, TypeDef, Value, VersionId};

fn t(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn i(n: i64) -> Cbor {
    Cbor::Integer(n.into())
}

fn body(entries: Vec<(Cbor, Cbor)>) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(&Cbor::Map(entries), &mut out).unwrap();
    out
}

fn schema() -> Schema {
    Schema::new([TypeDef::new(
        "datamodel.Counter",
        "name",
        [
            ("name", DimKind::Str),
            ("count", DimKind::Int),
            ("tags", DimKind::List),
        ],
    )])
    .unwrap()
}

#[test]
fn the_first_frame_tells_the_dialects_apart() {
    let limits = Limits::default();
    // Spacetime's pull: {0: app, 2: 0, 3: "ROOT", 4: False, 5: 0}
    let pull = body(vec![
        (i(0), t("App")),
        (i(2), i(0)),
        (i(3), t("ROOT")),
        (i(4), Cbor::Bool(false)),
        (i(5), i(0)),
    ]);
    assert!(is_spacetime(&pull, &limits));
    assert_eq!(
        parse_request(&pull, &limits).unwrap(),
        Request::Pull {
            app: "App".into(),
            version: "ROOT".into(),
            wait: false,
            timeout: 0.0
        }
    );
    // Spacetime's push: Versions is [start, end].
    let push = body(vec![
        (i(0), t("App")),
        (i(2), i(1)),
        (i(3), Cbor::Array(vec![t("ROOT"), t("a")])),
        (i(1), Cbor::Map(vec![])),
        (i(4), Cbor::Bool(false)),
    ]);
    assert!(is_spacetime(&push, &limits));
    // The thesis dialect is not.
    let fetch = encode(&Frame::fetch("App", VersionId::ROOT));
    assert!(!is_spacetime(&fetch[4..], &limits));
    let push = encode(&Frame::push(
        "App",
        VersionId::ROOT,
        VersionId::random(),
        Diff::new(),
    ));
    assert!(!is_spacetime(&push[4..], &limits));
}

#[test]
fn data_converts_both_ways_with_typed_values_and_the_key_among_new_dims() {
    let schema = schema();
    let wrapped = |ty: i64, v: Cbor| Cbor::Map(vec![(t("type"), i(ty)), (t("value"), v)]);
    // As Spacetime's client sends it.
    let data = Cbor::Map(vec![(
        t("datamodel.Counter"),
        Cbor::Map(vec![
            (
                t("new"),
                Cbor::Map(vec![
                    (
                        t("dims"),
                        Cbor::Map(vec![
                            (t("name"), wrapped(1, t("new"))),
                            (t("count"), wrapped(0, i(7))),
                            (
                                t("tags"),
                                wrapped(
                                    21,
                                    Cbor::Array(vec![wrapped(1, t("x")), wrapped(0, i(2))]),
                                ),
                            ),
                        ]),
                    ),
                    (t("types"), Cbor::Map(vec![(t("datamodel.Counter"), i(0))])),
                ]),
            ),
            (
                t("old"),
                Cbor::Map(vec![
                    (t("dims"), Cbor::Map(vec![(t("count"), wrapped(0, i(3)))])),
                    (t("types"), Cbor::Map(vec![(t("datamodel.Counter"), i(1))])),
                ]),
            ),
            (
                t("gone"),
                Cbor::Map(vec![(
                    t("types"),
                    Cbor::Map(vec![(t("datamodel.Counter"), i(2))]),
                )]),
            ),
        ]),
    )]);
    let diff = diff_from_spacetime(&data, &schema).unwrap();
    let ty = "datamodel.Counter";
    assert_eq!(
        diff.get(ty, &Key::from("new")),
        Some(&Change::New(Object::new(
            "new",
            [
                ("count", Value::Int(7)),
                ("tags", Value::List(vec![Value::from("x"), Value::Int(2)])),
            ]
        )))
    );
    assert_eq!(
        diff.get(ty, &Key::from("old")),
        Some(&Change::Modify(
            [("count".to_string(), Value::Int(3))].into()
        ))
    );
    assert_eq!(diff.get(ty, &Key::from("gone")), Some(&Change::Delete));
    // And back: the same Data, up to map order.
    let back = diff_from_spacetime(&diff_to_spacetime(&diff, &schema), &schema).unwrap();
    assert_eq!(back, diff);

    // Unknown types and badly typed values are errors, not panics.
    let unknown = Cbor::Map(vec![(t("Nope"), Cbor::Map(vec![]))]);
    assert!(diff_from_spacetime(&unknown, &schema)
        .unwrap_err()
        .to_string()
        .contains("unknown type"));
    let bad = Cbor::Map(vec![(
        t(ty),
        Cbor::Map(vec![(
            t("k"),
            Cbor::Map(vec![
                (
                    t("dims"),
                    Cbor::Map(vec![(t("count"), wrapped(0, t("three")))]),
                ),
                (t("types"), Cbor::Map(vec![(t(ty), i(1))])),
            ]),
        )]),
    )]);
    assert!(diff_from_spacetime(&bad, &schema).is_err());
}
