//! Frame codec: round trips, every typed error, and no panic on hostile input.

use ciborium::value::Value as Cbor;
use fluxion_got_protocol::{
    append_edge, decode, encode, Field, Frame, FrameError, Limits, RequestType,
};
use fluxion_versions::{Change, Diff, Key, Object, Value, VersionId};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Frames a raw CBOR value.
fn framed(v: &Cbor) -> Vec<u8> {
    let mut body = Vec::new();
    ciborium::ser::into_writer(v, &mut body).unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

fn map(entries: Vec<(Cbor, Cbor)>) -> Cbor {
    Cbor::Map(entries)
}
fn i(n: i64) -> Cbor {
    Cbor::Integer(n.into())
}
fn t(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn sample_diff() -> Diff {
    let mut d = Diff::new();
    d.insert(
        "datamodel.Counter",
        Key::from("countDocument"),
        Change::New(Object::new(
            "countDocument",
            [
                ("count", Value::Int(-3)),
                ("f", Value::Float(0.5)),
                ("b", Value::Bytes(vec![0, 255])),
                ("n", Value::Null),
                ("l", Value::List(vec![Value::Bool(true), Value::from("x")])),
                (
                    "m",
                    Value::Map([("k".to_string(), Value::Int(i64::MIN))].into()),
                ),
            ],
        )),
    );
    d.insert(
        "T",
        Key::Int(i64::MAX),
        Change::Modify([("a".to_string(), Value::Int(1))].into()),
    );
    d.insert("T", Key::Int(-1), Change::Delete);
    d
}

fn sample_frames() -> Vec<Frame> {
    let v = VersionId::random();
    vec![
        Frame::fetch("GotCounter", VersionId::ROOT).with_types(["datamodel.Counter"]),
        Frame::push("GotCounter", v, VersionId::random(), sample_diff()),
        Frame::ack("GotCounter", VersionId::ROOT, v),
        Frame {
            app_name: Some("a".into()),
            data: Some(Diff::new()),
            request_type: Some(RequestType::Fetch),
            start_version: Some(v),
            end_version: Some(v),
            wait: Some(true),
            wait_timeout: Some(2.5),
            status: Some(200),
            types: Some(vec![]),
            if_head: Some(false),
            token: Some(fluxion_got_protocol::Token::presented("a-token".into())),
        },
        Frame::push("GotCounter", v, VersionId::random(), sample_diff()).with_if_head(),
        Frame::default(),
    ]
}

#[test]
fn round_trips() {
    let limits = Limits::default();
    let mut stream = Vec::new();
    for f in sample_frames() {
        let bytes = encode(&f);
        assert_eq!(decode(&bytes, &limits).unwrap(), (f.clone(), bytes.len()));
        stream.extend(bytes);
    }
    // a stream of frames decodes one after the other
    let mut at = 0;
    for f in sample_frames().iter().map(|f| f.app_name.clone()) {
        let (got, used) = decode(&stream[at..], &limits).unwrap();
        assert_eq!(got.app_name, f);
        at += used;
    }
    assert_eq!(at, stream.len());
}

/// The direct encoder writes canonical CBOR: re-serialising its output through ciborium's
/// generic value gives the same bytes (shortest heads, shortest exact floats, same order).
#[test]
fn append_edge_writes_the_frame_encode_writes() {
    let (a, b) = (VersionId::random(), VersionId::random());
    let mut out = b"kept".to_vec();
    append_edge(&mut out, a, b, &sample_diff());
    append_edge(&mut out, VersionId::ROOT, b, &Diff::new());
    let mut want = b"kept".to_vec();
    for (from, diff) in [(a, sample_diff()), (VersionId::ROOT, Diff::new())] {
        want.extend(encode(&Frame {
            start_version: Some(from),
            end_version: Some(b),
            data: Some(diff),
            ..Frame::default()
        }));
    }
    assert_eq!(out, want);
}

#[test]
fn encoding_is_what_ciborium_writes() {
    for f in sample_frames() {
        let bytes = encode(&f);
        let v: Cbor = ciborium::de::from_reader(&bytes[4..]).unwrap();
        let mut again = Vec::new();
        ciborium::ser::into_writer(&v, &mut again).unwrap();
        assert_eq!(bytes[4..], again[..], "{f:?}");
    }
}

/// The fast decoder and the generic one agree on every frame the encoder writes, and on
/// frames written by other encoders (half floats, the thesis's shapes).
#[test]
fn fast_and_generic_decoders_agree() {
    let limits = Limits::default();
    for f in sample_frames() {
        let bytes = encode(&f);
        let generic = fluxion_got_protocol::decode_body_generic(&bytes[4..], &limits).unwrap();
        assert_eq!(decode(&bytes, &limits).unwrap().0, generic);
        assert_eq!(generic, f);
        // Tight depth limits: whichever path answers, the answer is the generic one.
        for max_depth in 0..8 {
            let l = Limits {
                max_depth,
                ..limits
            };
            assert_eq!(
                decode(&bytes, &l).map(|x| x.0),
                fluxion_got_protocol::decode_body_generic(&bytes[4..], &l)
            );
        }
    }
    for h in [
        0x0000u16, 0x0001, 0x03ff, 0x3c00, 0xc100, 0x7bff, 0x7c00, 0xfc00, 0x7e00,
    ] {
        let v = map(vec![(i(6), Cbor::Float(0.0))]);
        let mut body = Vec::new();
        ciborium::ser::into_writer(&v, &mut body).unwrap();
        // replace the float with a half-precision one
        let at = body.len() - 1;
        body.truncate(at);
        body.extend([0xf9, (h >> 8) as u8, h as u8]);
        let mut framed = (body.len() as u32).to_be_bytes().to_vec();
        framed.extend(&body);
        assert_eq!(
            decode(&framed, &limits).map(|x| x.0),
            fluxion_got_protocol::decode_body_generic(&body, &limits),
            "half {h:04x}"
        );
    }
}

/// Mutated frames: the fast path never accepts what the generic decoder rejects, and never
/// decodes differently (every byte of every sample frame, replaced by a few values).
#[test]
fn fast_path_never_disagrees_on_mutated_frames() {
    let limits = Limits::default();
    let mut checked = 0;
    for f in sample_frames() {
        let bytes = encode(&f);
        let body = &bytes[4..];
        for at in 0..body.len() {
            for x in [
                0x00u8,
                0x01,
                0x17,
                0x18,
                0x1f,
                0x20,
                0x3f,
                0x40,
                0x5f,
                0x60,
                0x7f,
                0x80,
                0x9f,
                0xa0,
                0xbf,
                0xc0,
                0xf4,
                0xf6,
                0xf7,
                0xf9,
                0xfb,
                0xff,
                body[at] ^ 1,
            ] {
                let mut m = body.to_vec();
                m[at] = x;
                let mut framed = (m.len() as u32).to_be_bytes().to_vec();
                framed.extend(&m);
                assert_eq!(
                    decode(&framed, &limits).map(|x| x.0),
                    fluxion_got_protocol::decode_body_generic(&m, &limits),
                    "byte {at} set to {x:02x} in {f:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

/// Object keys out of order decode like in order; a key listed twice is an error, whichever
/// decoder path answers.
#[test]
fn object_keys_in_any_order_and_never_twice() {
    let limits = Limits::default();
    let change = |x: i64| map(vec![(i(0), i(0)), (i(1), map(vec![(t("x"), i(x))]))]);
    let frame = |keys: &[i64]| {
        framed(&map(vec![
            (i(0), t("app")),
            (
                i(1),
                map(vec![(
                    t("A"),
                    map(keys.iter().map(|k| (i(*k), change(*k))).collect()),
                )]),
            ),
            (i(2), i(1)),
        ]))
    };
    let sorted = decode(&frame(&[1, 2, 3]), &limits).unwrap().0;
    let shuffled = decode(&frame(&[3, 1, 2]), &limits).unwrap().0;
    assert_eq!(sorted, shuffled);
    assert_eq!(sorted.data.as_ref().map(Diff::len), Some(3));
    let twice = frame(&[2, 1, 2]);
    let err = decode(&twice, &limits).unwrap_err();
    assert_eq!(
        Err(err),
        fluxion_got_protocol::decode_body_generic(&twice[4..], &limits)
    );
}

/// Listing 5.2's request, with its Types map and integer 0.0 timeout written as the thesis does.
#[test]
fn thesis_listing_5_2_shape() {
    let v: VersionId = "04a17d60-2df8-4c1b-94e0-19c3949b6a60".parse().unwrap();
    let bytes = framed(&map(vec![
        (i(0), t("GotCounter")),
        (i(2), i(0)),
        (i(3), t(&v.to_string())),
        (i(5), Cbor::Bool(false)),
        (i(6), Cbor::Float(0.0)),
        (
            i(8),
            map(vec![(
                t("datamodel.Counter"),
                Cbor::Array(vec![t("datamodel.Counter")]),
            )]),
        ),
    ]));
    let (f, _) = decode(&bytes, &Limits::default()).unwrap();
    assert_eq!(f.request_type, Some(RequestType::Fetch));
    assert_eq!(f.start_version, Some(v));
    assert_eq!(f.types, Some(vec!["datamodel.Counter".to_string()]));
}

#[test]
fn framing_errors() {
    let limits = Limits::default();
    let bytes = encode(&Frame::push(
        "app",
        VersionId::ROOT,
        VersionId::random(),
        sample_diff(),
    ));
    assert_eq!(
        decode(&bytes[..2], &limits),
        Err(FrameError::Incomplete {
            needed: 4,
            available: 2
        })
    );
    assert_eq!(
        decode(&bytes[..10], &limits),
        Err(FrameError::Incomplete {
            needed: bytes.len(),
            available: 10
        })
    );
    // oversized: rejected from the prefix alone
    let big = [0x01, 0x00, 0x00, 0x01];
    assert!(matches!(
        decode(&big, &limits),
        Err(FrameError::TooLarge { len: 16777217, .. })
    ));
    let small = Limits {
        max_frame_bytes: 8,
        ..limits
    };
    assert!(matches!(
        decode(&bytes, &small),
        Err(FrameError::TooLarge { .. })
    ));
    // trailing bytes inside the frame
    let mut body = Vec::new();
    ciborium::ser::into_writer(&map(vec![]), &mut body).unwrap();
    body.push(0x00);
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend(&body);
    assert_eq!(
        decode(&f, &limits),
        Err(FrameError::TrailingBytes { count: 1 })
    );
    // empty body, garbage body
    assert!(matches!(
        decode(&[0, 0, 0, 0], &limits),
        Err(FrameError::Malformed(_))
    ));
    assert!(matches!(
        decode(&[0, 0, 0, 1, 0xff], &limits),
        Err(FrameError::Malformed(_))
    ));
    // a byte string claiming 2^62 bytes
    let huge = [0, 0, 0, 9, 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        decode(&huge, &limits),
        Err(FrameError::Malformed(_))
    ));
}

#[test]
fn nesting_limit() {
    let limits = Limits::default();
    let nested = |depth: usize| {
        let mut v = i(1);
        for _ in 0..depth {
            v = Cbor::Array(vec![v]);
        }
        let data = map(vec![(
            t("T"),
            map(vec![(
                t("k"),
                map(vec![(i(0), i(1)), (i(1), map(vec![(t("d"), v)]))]),
            )]),
        )]);
        framed(&map(vec![(i(1), data)]))
    };
    // frame, data, objects of a type, change, dims = 5 levels before the value
    assert!(decode(&nested(59), &limits).is_ok());
    assert_eq!(
        decode(&nested(60), &limits).map(|_| ()),
        Err(FrameError::TooDeep { max: 64 })
    );
    assert_eq!(
        decode(
            &nested(10),
            &Limits {
                max_depth: 8,
                ..limits
            }
        )
        .map(|_| ()),
        Err(FrameError::TooDeep { max: 8 })
    );
    // a raw bomb: 100 000 nested one-element arrays
    let mut bomb = vec![0x81u8; 100_000];
    bomb.push(0x00);
    let mut f = (bomb.len() as u32).to_be_bytes().to_vec();
    f.extend(bomb);
    assert_eq!(
        decode(&f, &limits).map(|_| ()),
        Err(FrameError::TooDeep { max: 64 })
    );
}

#[test]
fn field_errors_are_typed() {
    let limits = Limits::default();
    let err = |v: Cbor| decode(&framed(&v), &limits).unwrap_err();
    assert_eq!(
        err(Cbor::Array(vec![])),
        FrameError::NotAMap { found: "an array" }
    );
    assert_eq!(
        err(map(vec![(t("0"), t("a"))])),
        FrameError::BadKey { found: "text" }
    );
    assert_eq!(
        err(map(vec![(i(11), t("a"))])),
        FrameError::UnknownField(11)
    );
    assert_eq!(
        err(map(vec![(i(9), t("a"))])),
        FrameError::FieldType {
            field: Field::IfHead,
            expected: "a bool",
            found: "text"
        }
    );
    assert_eq!(
        err(map(vec![(i(-1), t("a"))])),
        FrameError::UnknownField(-1)
    );
    assert_eq!(
        err(map(vec![(i(0), t("a")), (i(0), t("b"))])),
        FrameError::DuplicateField(Field::AppName)
    );
    assert_eq!(
        err(map(vec![(i(0), i(5))])),
        FrameError::FieldType {
            field: Field::AppName,
            expected: "text",
            found: "an integer"
        }
    );
    assert!(matches!(
        err(map(vec![(i(2), i(7))])),
        FrameError::BadValue {
            field: Field::RequestType,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(3), t("nope"))])),
        FrameError::BadValue {
            field: Field::StartVersion,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(4), i(3))])),
        FrameError::FieldType {
            field: Field::EndVersion,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(5), i(1))])),
        FrameError::FieldType {
            field: Field::Wait,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(6), Cbor::Float(-1.0))])),
        FrameError::BadValue {
            field: Field::WaitTimeout,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(6), Cbor::Float(f64::NAN))])),
        FrameError::BadValue { .. }
    ));
    assert!(matches!(
        err(map(vec![(i(7), i(70000))])),
        FrameError::BadValue {
            field: Field::Status,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(8), Cbor::Array(vec![i(1)]))])),
        FrameError::FieldType {
            field: Field::Types,
            ..
        }
    ));
    assert!(matches!(
        err(map(vec![(i(1), Cbor::Array(vec![]))])),
        FrameError::FieldType {
            field: Field::Data,
            ..
        }
    ));

    let data = |change: Cbor| {
        map(vec![(
            i(1),
            map(vec![(t("T"), map(vec![(t("k"), change)]))]),
        )])
    };
    let bad_data = |change: Cbor| match err(data(change)) {
        FrameError::BadData { path, reason } => format!("{path}: {reason}"),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        bad_data(map(vec![(i(0), i(5))])),
        "/T/\"k\": unknown event 5"
    );
    assert_eq!(
        bad_data(map(vec![(i(1), map(vec![]))])),
        "/T/\"k\": missing event (key 0)"
    );
    assert_eq!(
        bad_data(map(vec![(i(0), i(2)), (i(1), map(vec![]))])),
        "/T/\"k\": a delete carries no dims"
    );
    assert_eq!(
        bad_data(map(vec![(i(0), i(1))])),
        "/T/\"k\": a modify needs dims (key 1)"
    );
    assert_eq!(
        bad_data(map(vec![(i(0), i(0)), (i(1), map(vec![(i(3), i(1))]))])),
        "/T/\"k\": dimension name is an integer, not text"
    );
    assert_eq!(
        bad_data(map(vec![
            (i(0), i(0)),
            (i(1), map(vec![(t("d"), Cbor::Tag(1, Box::new(i(0))))]))
        ])),
        "/T/\"k\"/d: unsupported value: a tagged value"
    );
    assert_eq!(
        bad_data(map(vec![
            (i(0), i(0)),
            (i(1), map(vec![(t("d"), Cbor::Integer(u64::MAX.into()))]))
        ])),
        "/T/\"k\"/d: integer out of i64 range"
    );
    assert!(matches!(
        err(map(vec![(
            i(1),
            map(vec![(t("T"), map(vec![(Cbor::Bool(true), map(vec![]))]))])
        )])),
        FrameError::BadData { .. }
    ));
}

/// Thousands of random byte strings, every truncation and many corruptions of valid frames:
/// decode returns (Ok or a typed error) and never panics.
#[test]
fn hostile_input_never_panics() {
    let limits = Limits::default();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid: Vec<Vec<u8>> = sample_frames().iter().map(encode).collect();
    let mut outcomes = [0usize; 2];
    let mut record = |r: Result<(Frame, usize), FrameError>| outcomes[r.is_ok() as usize] += 1;

    for _ in 0..5000 {
        let len = rng.below(200) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // half of them get a plausible length prefix so that the CBOR parser sees them
        if rng.below(2) == 0 && len >= 4 {
            b[..4].copy_from_slice(&((len - 4) as u32).to_be_bytes());
        }
        record(decode(&b, &limits));
    }
    for v in &valid {
        for cut in 0..v.len() {
            let r = decode(&v[..cut], &limits);
            assert!(
                matches!(r, Err(FrameError::Incomplete { .. })),
                "cut {cut}: {r:?}"
            );
            // the same truncation, re-framed, reaches the CBOR parser
            if cut > 4 {
                let mut f = ((cut - 4) as u32).to_be_bytes().to_vec();
                f.extend(&v[4..cut]);
                record(decode(&f, &limits));
            }
        }
        for _ in 0..1000 {
            let mut c = v.clone();
            for _ in 0..=rng.below(3) {
                let at = 4 + rng.below((c.len() - 4) as u64) as usize;
                c[at] ^= 1 << rng.below(8);
            }
            record(decode(&c, &limits));
        }
    }
    assert!(outcomes[0] > 5000, "{outcomes:?}");
}
