//! The dispatcher, driven through the wire format as a server would.

use std::thread;
use std::time::{Duration, Instant};

use fluxion_got_protocol::{decode, encode, handle, status, Frame, Limits, RequestType};
use fluxion_versions::{
    Change, Diff, DimKind, Key, Object, Schema, Store, TypeDef, Value, VersionId,
};

const APP: &str = "GotCounter";
const COUNTER: &str = "datamodel.Counter";

fn store() -> Store {
    let store = Store::new();
    let counter = TypeDef::new(
        COUNTER,
        "pkey",
        [("pkey", DimKind::Str), ("count", DimKind::Int)],
    );
    let other = TypeDef::new("Other", "id", [("id", DimKind::Int)]);
    store
        .create_app(APP, Schema::new([counter, other]).unwrap())
        .unwrap();
    store
}

/// Client → bytes → server → bytes → client.
fn round_trip(store: &Store, request: Frame) -> Frame {
    let limits = Limits::default();
    let (req, n) = decode(&encode(&request), &limits).unwrap();
    assert_eq!(req, request);
    let bytes = encode(&handle(store, req));
    let (reply, m) = decode(&bytes, &limits).unwrap();
    assert_eq!((n > 0, m), (true, bytes.len()));
    reply
}

fn doc() -> Key {
    Key::from("countDocument")
}

fn set_count(n: i64) -> Diff {
    let mut d = Diff::new();
    d.insert(
        COUNTER,
        doc(),
        Change::Modify([("count".to_string(), Value::Int(n))].into()),
    );
    d
}

/// Seeds the counter (count 0) with a push from ROOT; returns the head.
fn seed(store: &Store) -> VersionId {
    let mut d = Diff::new();
    d.insert(
        COUNTER,
        doc(),
        Change::New(Object::new("countDocument", [("count", 0)])),
    );
    let v = VersionId::random();
    let reply = round_trip(store, Frame::push(APP, VersionId::ROOT, v, d));
    assert_eq!(reply.status, Some(status::OK));
    assert_eq!(reply.end_version, Some(v));
    v
}

/// Figures 5.1 and 5.2 with Listings 5.2-5.4.
#[test]
fn thesis_fetch_and_push_cycles() {
    let store = store();
    let head1 = seed(&store);

    // fetch cycle, step 1-2 (Listing 5.2 -> 5.3)
    let reply = round_trip(
        &store,
        Frame::fetch(APP, VersionId::ROOT).with_types([COUNTER]),
    );
    assert_eq!(reply.status, Some(status::OK));
    assert_eq!(reply.app_name.as_deref(), Some(APP));
    assert_eq!(reply.start_version, Some(VersionId::ROOT));
    assert_eq!(reply.end_version, Some(head1));
    let data = reply.data.unwrap();
    assert_eq!(
        data.get(COUNTER, &doc()),
        Some(&Change::New(Object::new("countDocument", [("count", 0)])))
    );
    // step 3: ack
    let ack = round_trip(&store, Frame::ack(APP, VersionId::ROOT, head1));
    assert_eq!(ack.status, Some(status::OK));

    // push cycle (Listing 5.4): count = 5 from head1 as the client's version v2
    let v2 = VersionId::random();
    let reply = round_trip(&store, Frame::push(APP, head1, v2, set_count(5)));
    assert_eq!(reply.status, Some(status::OK));
    assert_eq!(reply.end_version, Some(v2));
    assert_eq!(store.head(APP).unwrap(), v2);

    // another client fetches from its old version: one Modify
    let reply = round_trip(&store, Frame::fetch(APP, head1));
    assert_eq!(reply.end_version, Some(v2));
    assert_eq!(reply.data.unwrap(), set_count(5));
    round_trip(&store, Frame::ack(APP, head1, v2));
}

#[test]
fn concurrent_push_is_merged() {
    let store = store();
    let head1 = seed(&store);
    let a = VersionId::random();
    let b = VersionId::random();
    let mut add = Diff::new();
    add.insert(
        "Other",
        Key::Int(1),
        Change::New(Object::new(1, Vec::<(String, Value)>::new())),
    );
    assert_eq!(
        round_trip(&store, Frame::push(APP, head1, a, set_count(5))).end_version,
        Some(a)
    );
    // b was made from head1 too: the server merges
    let reply = round_trip(&store, Frame::push(APP, head1, b, add));
    assert_eq!(reply.status, Some(status::OK));
    let merged = reply.end_version.unwrap();
    assert!(merged != a && merged != b);
    let reply = round_trip(&store, Frame::fetch(APP, b));
    assert_eq!(reply.end_version, Some(merged));
    assert_eq!(reply.data.unwrap(), set_count(5));
    // Types filters the answer
    let reply = round_trip(
        &store,
        Frame::fetch(APP, VersionId::ROOT).with_types(["Other"]),
    );
    let data = reply.data.unwrap();
    assert_eq!(data.len(), 1);
    assert!(data.get("Other", &Key::Int(1)).is_some());
}

#[test]
fn fetch_with_wait_blocks_until_a_push_and_times_out_otherwise() {
    let store = store();
    let head1 = seed(&store);
    let start = Instant::now();
    let reply = round_trip(&store, Frame::fetch(APP, head1).with_wait(0.05));
    assert_eq!(reply.status, Some(status::TIMEOUT));
    assert_eq!(reply.data, None);
    assert!(start.elapsed() >= Duration::from_millis(50));

    let s2 = store.clone();
    let waiter = thread::spawn(move || round_trip(&s2, Frame::fetch(APP, head1).with_wait(10.0)));
    thread::sleep(Duration::from_millis(100));
    let v2 = VersionId::random();
    round_trip(&store, Frame::push(APP, head1, v2, set_count(9)));
    let reply = waiter.join().unwrap();
    assert_eq!(reply.status, Some(status::OK));
    assert_eq!(reply.end_version, Some(v2));
    assert_eq!(reply.data.unwrap(), set_count(9));
}

#[test]
fn errors_become_statuses() {
    let store = store();
    let head1 = seed(&store);
    let st = |f: Frame| round_trip(&store, f).status.unwrap();
    assert_eq!(st(Frame::fetch("nope", VersionId::ROOT)), status::NOT_FOUND);
    assert_eq!(
        st(Frame {
            app_name: Some(APP.into()),
            ..Frame::default()
        }),
        status::BAD_REQUEST
    );
    assert_eq!(
        st(Frame {
            request_type: Some(RequestType::Push),
            ..Frame::fetch(APP, head1)
        }),
        status::BAD_REQUEST
    );
    assert_eq!(
        st(Frame {
            end_version: None,
            ..Frame::ack(APP, head1, head1)
        }),
        status::BAD_REQUEST
    );
    assert_eq!(st(Frame::fetch(APP, VersionId::random())), status::GONE);
    // wrong dimension type; modify of a missing object; unknown type
    let mut bad = Diff::new();
    bad.insert(
        COUNTER,
        doc(),
        Change::Modify([("count".to_string(), Value::from("x"))].into()),
    );
    assert_eq!(
        st(Frame::push(APP, head1, VersionId::random(), bad)),
        status::UNPROCESSABLE
    );
    let mut bad = Diff::new();
    bad.insert(COUNTER, Key::from("ghost"), Change::Delete);
    assert_eq!(
        st(Frame::push(APP, head1, VersionId::random(), bad)),
        status::UNPROCESSABLE
    );
    let mut bad = Diff::new();
    bad.insert("Ghost", Key::Int(1), Change::Delete);
    assert_eq!(
        st(Frame::push(APP, head1, VersionId::random(), bad)),
        status::UNPROCESSABLE
    );
    // the same version id twice
    assert_eq!(
        st(Frame::push(APP, VersionId::ROOT, head1, Diff::new())),
        status::CONFLICT
    );
    assert_eq!(store.head(APP).unwrap(), head1);
}

#[test]
fn client_versions_survive_gc_until_acknowledged() {
    let store = store();
    let head1 = seed(&store);
    // a reader fetches head1 (the store keeps it for the reader)
    let r = round_trip(&store, Frame::fetch(APP, VersionId::ROOT));
    assert_eq!(r.end_version, Some(head1));
    round_trip(&store, Frame::ack(APP, VersionId::ROOT, head1));
    // a writer pushes 20 versions, each from the previous one
    let mut from = head1;
    for n in 1..=20 {
        let v = VersionId::random();
        let r = round_trip(&store, Frame::push(APP, from, v, set_count(n)));
        assert_eq!(r.end_version, Some(v));
        from = v;
    }
    store.gc(APP).unwrap();
    // ROOT, head (held by the writer and the store), head1 (held by the reader)
    assert_eq!(store.version_count(APP).unwrap(), 3);
    let r = round_trip(&store, Frame::fetch(APP, head1));
    assert_eq!(r.status, Some(status::OK));
    assert_eq!(r.data.unwrap(), set_count(20));
    round_trip(&store, Frame::ack(APP, head1, from));
    store.gc(APP).unwrap();
    assert_eq!(store.version_count(APP).unwrap(), 2);
    // the reader's old version is gone now
    assert_eq!(
        round_trip(&store, Frame::fetch(APP, head1)).status,
        Some(status::GONE)
    );
}

#[test]
fn a_push_with_if_head_is_refused_with_412_once_the_head_moved() {
    let store = store();
    let base = seed(&store);
    let first = VersionId::random();
    let r = round_trip(
        &store,
        Frame::push(APP, base, first, set_count(1)).with_if_head(),
    );
    assert_eq!((r.status, r.end_version), (Some(status::OK), Some(first)));
    // A second client still based on `base`: refused, nothing changes.
    let late = VersionId::random();
    let r = round_trip(
        &store,
        Frame::push(APP, base, late, set_count(2)).with_if_head(),
    );
    assert_eq!(r.status, Some(status::PRECONDITION_FAILED));
    assert_eq!(store.head(APP).unwrap(), first);
    assert!(!store.with_graph(APP, |g| g.contains(late)).unwrap());
    // Without IfHead the server merges as before.
    let r = round_trip(&store, Frame::push(APP, base, late, set_count(2)));
    assert_eq!(r.status, Some(status::OK));
    assert_ne!(store.head(APP).unwrap(), first);
}
