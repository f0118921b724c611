//! Store and dataframe behaviour: the thesis's counter cycle, conflicts, waiting, GC.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use fluxion_versions::{
    merge_fn, Change, Dataframe, Diff, DimKind, Error, Key, MergeOutcome, Object, Schema, Store,
    TypeDef, Value, VersionId,
};

const COUNTER: &str = "datamodel.Counter";

fn counter_store() -> Store {
    let store = Store::new();
    let t = TypeDef::new(
        COUNTER,
        "pkey",
        [
            ("pkey", DimKind::Str),
            ("count", DimKind::Int),
            ("label", DimKind::Str),
        ],
    );
    store
        .create_app("GotCounter", Schema::new([t]).unwrap())
        .unwrap();
    store
}

fn doc() -> Key {
    Key::from("countDocument")
}

fn count(df: &Dataframe) -> Option<i64> {
    df.read_one(COUNTER, &doc())
        .unwrap()
        .and_then(|o| o.get("count").and_then(Value::as_i64))
}

/// A store whose counter exists with count 0, created by a "server" dataframe.
fn seeded() -> Store {
    let store = counter_store();
    let mut server = Dataframe::connect(&store, "GotCounter").unwrap();
    server
        .add_one(COUNTER, Object::new("countDocument", [("count", 0)]))
        .unwrap();
    server.commit().unwrap();
    server.push().unwrap();
    store
}

/// Listings 5.2-5.4: a client fetches the counter from ROOT, sets it to 5 and pushes it back.
#[test]
fn thesis_counter_fetch_push_cycle() {
    let store = seeded();
    let head1 = store.head("GotCounter").unwrap();

    // Listing 5.2/5.3: fetch from ROOT gives one New change with the full object
    let (head, diff) = store.fetch("GotCounter", VersionId::ROOT).unwrap();
    assert_eq!(head, head1);
    assert_eq!(diff.len(), 1);
    let expected = Object::new(
        "countDocument",
        [("count", Value::Int(0)), ("label", Value::Null)],
    );
    assert_eq!(diff.get(COUNTER, &doc()), Some(&Change::New(expected)));

    // the client's cycle with a dataframe
    let mut client = Dataframe::connect(&store, "GotCounter").unwrap();
    client.pull().unwrap();
    assert_eq!(client.head(), head1);
    assert_eq!(count(&client), Some(0));
    client.set(COUNTER, &doc(), "count", 5).unwrap();
    let local = client.commit().unwrap();
    let pushed_head = client.push().unwrap();
    // Listing 5.4: StartVersion = head1, EndVersion = the client's version, kept as the head
    assert_eq!(pushed_head, local);
    let (head2, d) = store.fetch("GotCounter", head1).unwrap();
    assert_eq!(head2, local);
    let modify = Change::Modify(BTreeMap::from([("count".to_string(), Value::Int(5))]));
    assert_eq!(d.get(COUNTER, &doc()), Some(&modify));

    // another node sees it
    let mut other = Dataframe::connect(&store, "GotCounter").unwrap();
    other.pull().unwrap();
    assert_eq!(count(&other), Some(5));
    // and the first one fetching again gets nothing new
    assert_eq!(client.pull().unwrap(), local);
}

#[test]
fn conflicting_pushes_resolved_by_merge_function() {
    let store = seeded();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    // counter semantics: both increments count
    let sum = merge_fn(move |t, original, yours, theirs| {
        c2.fetch_add(1, Ordering::SeqCst);
        assert_eq!(t, COUNTER);
        let get = |o: Option<&Object>| o.and_then(|o| o.get("count")?.as_i64()).unwrap_or(0);
        let (o, y, th) = (get(original), get(yours), get(theirs));
        assert_eq!((o, y, th), (0, 7, 5), "yours = pushed, theirs = store head");
        let mut out = theirs.unwrap().clone();
        out.set("count", o + (y - o) + (th - o));
        MergeOutcome::Keep(out)
    });
    let mut a = Dataframe::connect(&store, "GotCounter").unwrap();
    let mut b = Dataframe::connect(&store, "GotCounter")
        .unwrap()
        .with_merge_fn(sum);
    a.pull().unwrap();
    b.pull().unwrap();
    a.set(COUNTER, &doc(), "count", 5).unwrap();
    b.set(COUNTER, &doc(), "count", 7).unwrap();
    a.commit().unwrap();
    b.commit().unwrap();
    let ha = a.push().unwrap();
    let hb = b.push().unwrap();
    assert_ne!(ha, hb);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let state = store.state("GotCounter", hb).unwrap();
    assert_eq!(
        state.get(COUNTER, &doc()).unwrap().get("count"),
        Some(&Value::Int(12))
    );
    a.pull().unwrap();
    b.pull().unwrap();
    assert_eq!(count(&a), Some(12));
    assert_eq!(count(&b), Some(12));
    assert_eq!(a.head(), hb);
    assert_eq!(b.head(), hb);
}

#[test]
fn default_rule_theirs_wins_and_disjoint_dims_combine() {
    let store = seeded();
    let mut a = Dataframe::connect(&store, "GotCounter").unwrap();
    let mut b = Dataframe::connect(&store, "GotCounter").unwrap();
    a.pull().unwrap();
    b.pull().unwrap();
    // same dimension: the store's side (first pusher) wins by default
    a.set(COUNTER, &doc(), "count", 5).unwrap();
    b.set(COUNTER, &doc(), "count", 7).unwrap();
    // different dimensions: both survive
    b.set(COUNTER, &doc(), "label", "b").unwrap();
    a.commit().unwrap();
    b.commit().unwrap();
    a.push().unwrap();
    b.push().unwrap();
    let mut c = Dataframe::connect(&store, "GotCounter").unwrap();
    c.pull().unwrap();
    let o = c.read_one(COUNTER, &doc()).unwrap().unwrap();
    assert_eq!(o.get("count"), Some(&Value::Int(5)));
    assert_eq!(o.get("label"), Some(&Value::from("b")));

    // non-overlapping changes never reach the merge function
    let never = merge_fn(|t, o, y, th| panic!("no conflict expected: {t} {o:?} {y:?} {th:?}"));
    a.pull().unwrap();
    let mut b = Dataframe::connect(&store, "GotCounter")
        .unwrap()
        .with_merge_fn(never);
    b.pull().unwrap();
    a.set(COUNTER, &doc(), "count", 100).unwrap();
    b.set(COUNTER, &doc(), "label", "z").unwrap();
    a.commit().unwrap();
    b.commit().unwrap();
    a.push().unwrap();
    b.push().unwrap();
    b.pull().unwrap();
    let o = b.read_one(COUNTER, &doc()).unwrap().unwrap();
    assert_eq!(o.get("count"), Some(&Value::Int(100)));
    assert_eq!(o.get("label"), Some(&Value::from("z")));

    // delete (store side) against modify (pushed side): theirs wins, the object is gone
    b.set_merge_fn(None);
    a.pull().unwrap();
    b.pull().unwrap();
    a.delete_one(COUNTER, &doc()).unwrap();
    b.set(COUNTER, &doc(), "count", 1).unwrap();
    a.commit().unwrap();
    b.commit().unwrap();
    a.push().unwrap();
    b.push().unwrap();
    b.pull().unwrap();
    assert_eq!(b.read_one(COUNTER, &doc()).unwrap(), None);
}

#[test]
fn fetch_merges_unpushed_local_commits() {
    let store = seeded();
    let mut a = Dataframe::connect(&store, "GotCounter").unwrap();
    let mut b = Dataframe::connect(&store, "GotCounter").unwrap();
    a.pull().unwrap();
    b.pull().unwrap();
    b.set(COUNTER, &doc(), "count", 3).unwrap();
    b.commit().unwrap();
    b.push().unwrap();
    // a commits locally, then fetches: local 3-way merge (a's label, b's count)
    a.set(COUNTER, &doc(), "label", "mine").unwrap();
    a.add_one(COUNTER, Object::new("second", [("count", 1)]))
        .unwrap();
    a.commit().unwrap();
    a.pull().unwrap();
    let o = a.read_one(COUNTER, &doc()).unwrap().unwrap().clone();
    assert_eq!(o.get("count"), Some(&Value::Int(3)));
    assert_eq!(o.get("label"), Some(&Value::from("mine")));
    // the merge is pushed as a fast-forward
    let head = a.push().unwrap();
    assert_eq!(head, a.head());
    b.pull().unwrap();
    assert_eq!(b.read_all(COUNTER).unwrap().len(), 2);
    assert_eq!(b.read_one(COUNTER, &doc()).unwrap(), Some(&o));
}

#[test]
fn pull_wait_blocks_until_another_thread_pushes() {
    let store = seeded();
    let mut reader = Dataframe::connect(&store, "GotCounter").unwrap();
    reader.pull().unwrap();
    let before = reader.head();
    let waiter = thread::spawn(move || {
        let start = Instant::now();
        reader.pull_wait(Duration::from_secs(10)).unwrap();
        (count(&reader), start.elapsed(), reader.head())
    });
    thread::sleep(Duration::from_millis(150));
    let mut writer = Dataframe::connect(&store, "GotCounter").unwrap();
    writer.pull().unwrap();
    writer.set(COUNTER, &doc(), "count", 42).unwrap();
    writer.commit().unwrap();
    let head = writer.push().unwrap();
    let (c, waited, reader_head) = waiter.join().unwrap();
    assert_eq!(c, Some(42));
    assert_eq!(reader_head, head);
    assert_ne!(reader_head, before);
    assert!(
        waited >= Duration::from_millis(100),
        "returned before the push: {waited:?}"
    );
}

#[test]
fn pull_wait_times_out_when_nobody_pushes() {
    let store = seeded();
    let mut reader = Dataframe::connect(&store, "GotCounter").unwrap();
    reader.pull().unwrap();
    let start = Instant::now();
    let err = reader.pull_wait(Duration::from_millis(80)).unwrap_err();
    assert!(
        matches!(err, Error::Timeout { ref app, .. } if app == "GotCounter"),
        "{err}"
    );
    assert!(start.elapsed() >= Duration::from_millis(80));
    let head = store.head("GotCounter").unwrap();
    let err = store
        .wait_for_change("GotCounter", head, Duration::from_millis(20))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { since, .. } if since == head));
    // an out-of-date version returns at once
    assert_eq!(
        store
            .wait_for_change("GotCounter", VersionId::ROOT, Duration::from_secs(5))
            .unwrap(),
        head
    );
}

#[test]
fn gc_removes_versions_and_fetch_still_works() {
    let store = seeded();
    let mut writer = Dataframe::connect(&store, "GotCounter").unwrap();
    writer.pull().unwrap();
    let mut lagging = Dataframe::connect(&store, "GotCounter").unwrap();
    for i in 1..=60 {
        writer.set(COUNTER, &doc(), "count", i).unwrap();
        if i % 7 == 0 {
            writer
                .add_one(COUNTER, Object::new(format!("o{i}"), [("count", i)]))
                .unwrap();
        }
        if i % 11 == 0 {
            writer
                .delete_one(COUNTER, &Key::from(format!("o{}", i - 4 - i % 7)))
                .ok();
        }
        writer.commit().unwrap();
        writer.push().unwrap();
        if i == 20 {
            lagging.pull().unwrap();
        }
        // the writer's local graph stays tiny
        assert!(writer.graph().len() <= 3, "{}", writer.graph().len());
    }
    assert_eq!(count(&lagging), Some(20));
    let before = store.version_count("GotCounter").unwrap();
    assert!(before > 60, "{before}");
    let removed = store.gc("GotCounter").unwrap();
    // left: ROOT, the head (also the writer's remote), the lagging reader's version
    assert_eq!(store.version_count("GotCounter").unwrap(), 3);
    assert_eq!(removed, before - 3);

    let head = store.head("GotCounter").unwrap();
    let expected = writer.snapshot().clone();
    assert_eq!(store.state("GotCounter", head).unwrap(), expected);
    // the lagging reader fetches one composed delta over the collected versions
    lagging.pull().unwrap();
    assert_eq!(lagging.snapshot(), &expected);
    // a fresh reader gets everything from ROOT
    let mut fresh = Dataframe::connect(&store, "GotCounter").unwrap();
    fresh.pull().unwrap();
    assert_eq!(fresh.snapshot(), &expected);
    // the lagging reader moved on and released its old version: the next gc removes it
    drop(fresh);
    store.gc("GotCounter").unwrap();
    assert_eq!(store.version_count("GotCounter").unwrap(), 2);
    // dropping every dataframe leaves only ROOT and the head
    drop(writer);
    drop(lagging);
    store.gc("GotCounter").unwrap();
    assert_eq!(store.version_count("GotCounter").unwrap(), 2);
    assert_eq!(store.state("GotCounter", head).unwrap(), expected);
}

#[test]
fn many_threads_push_concurrently() {
    let store = seeded();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            thread::spawn(move || {
                let mut df = Dataframe::connect(&store, "GotCounter").unwrap();
                df.pull().unwrap();
                for i in 0..25 {
                    df.add_one(COUNTER, Object::new(format!("t{t}-{i}"), [("count", i)]))
                        .unwrap();
                    df.commit().unwrap();
                    df.push().unwrap();
                    if i % 5 == 0 {
                        df.pull().unwrap();
                        store.gc("GotCounter").unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut df = Dataframe::connect(&store, "GotCounter").unwrap();
    df.pull().unwrap();
    assert_eq!(df.read_all(COUNTER).unwrap().len(), 1 + 4 * 25);
    store.gc("GotCounter").unwrap();
    // ROOT and the head (which is also the last reader's version)
    assert_eq!(store.version_count("GotCounter").unwrap(), 2);
}

#[test]
fn dataframe_api_and_typed_errors() {
    let store = counter_store();
    let mut df = Dataframe::connect(&store, "GotCounter").unwrap();
    df.add_many(
        COUNTER,
        [
            Object::new("a", [("count", 1)]),
            Object::new("b", [("count", 2)]),
        ],
    )
    .unwrap();
    // duplicate key
    let err = df
        .add_one(COUNTER, Object::new("a", [("count", 1)]))
        .unwrap_err();
    assert!(matches!(err, Error::Diff(_)), "{err}");
    // wrong dimension type names type, key and dimension
    let err = df
        .add_one(COUNTER, Object::new("c", [("count", "many")]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "datamodel.Counter \"c\": dimension \"count\" expects int, found str"
    );
    let err = df
        .add_one(COUNTER, Object::new(3, [("count", 1)]))
        .unwrap_err();
    assert!(
        err.to_string().contains("key dimension expects str"),
        "{err}"
    );
    let err = df
        .add_one(COUNTER, Object::new("d", [("nope", 1)]))
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown dimension \"nope\""),
        "{err}"
    );
    assert!(matches!(df.read_all("Nope"), Err(Error::Schema(_))));
    // add_many is all-or-nothing
    assert!(df
        .add_many(
            COUNTER,
            [
                Object::new("x", [("count", 1)]),
                Object::new("x", [("count", 2)])
            ]
        )
        .is_err());
    assert!(df.read_one(COUNTER, &Key::from("x")).unwrap().is_none());

    let v1 = df.commit().unwrap();
    // keep v1 in the local graph (which is garbage-collected after every commit)
    df.pin(v1).unwrap();
    assert!(!df.has_staged());
    df.set(COUNTER, &Key::from("a"), "count", 10).unwrap();
    assert_eq!(df.delete_all(COUNTER).unwrap(), 2);
    assert!(matches!(df.checkout(v1), Err(Error::UncommittedChanges)));
    assert!(matches!(df.pull(), Err(Error::UncommittedChanges)));
    // delete then re-add in one commit
    df.add_one(COUNTER, Object::new("a", [("count", 7)]))
        .unwrap();
    let v2 = df.commit().unwrap();
    assert_eq!(df.read_all(COUNTER).unwrap().len(), 1);
    assert_eq!(
        df.graph()
            .delta(v1, v2)
            .unwrap()
            .get(COUNTER, &Key::from("b")),
        Some(&Change::Delete)
    );
    // checkout an old version, commit there: merged with the head
    df.checkout(v1).unwrap();
    assert_eq!(df.read_all(COUNTER).unwrap().len(), 2);
    df.add_one(COUNTER, Object::new("z", [("count", 0)]))
        .unwrap();
    let v3 = df.commit().unwrap();
    assert_ne!(v3, v2);
    let keys: Vec<Key> = df
        .read_all(COUNTER)
        .unwrap()
        .iter()
        .map(|o| o.key.clone())
        .collect();
    assert_eq!(keys, vec![Key::from("a"), Key::from("z")]);
    // local-only dataframes cannot push
    let mut local = Dataframe::new(store.schema("GotCounter").unwrap());
    assert!(matches!(local.push(), Err(Error::NotConnected)));
    // unknown app / version
    assert!(matches!(
        Dataframe::connect(&store, "nope"),
        Err(Error::UnknownApp(_))
    ));
    let bogus = VersionId::random();
    assert!(matches!(
        store.fetch("GotCounter", bogus),
        Err(Error::UnknownVersion(v)) if v == bogus
    ));
    // pushing a diff that does not apply is a typed error and leaves nothing behind
    let mut bad = Diff::new();
    bad.insert(COUNTER, Key::from("ghost"), Change::Delete);
    let n = store.version_count("GotCounter").unwrap();
    assert!(matches!(
        store.push("GotCounter", VersionId::ROOT, bad),
        Err(Error::Diff(_))
    ));
    assert_eq!(store.version_count("GotCounter").unwrap(), n);
}

/// Two increments from the same count both write the same value: still a conflict, so that a
/// counter's merge function adds them up (the thesis's counter; Spacetime calls the merge
/// function for any two modifications too).
#[test]
fn equal_writes_on_both_sides_go_to_the_merge_function() {
    let store = counter_store();
    let add = merge_fn(|_, o, y, t| {
        let n = |x: Option<&Object>| match x.and_then(|x| x.get("count")) {
            Some(Value::Int(i)) => *i,
            _ => 0,
        };
        let mut out = t.unwrap().clone();
        out.set("count", n(t) + n(y) - n(o));
        MergeOutcome::Keep(out)
    });
    let key = Key::from("doc");
    let mut a = Dataframe::connect(&store, "GotCounter")
        .unwrap()
        .with_merge_fn(add.clone());
    a.add_one(COUNTER, Object::new("doc", [("count", 4)]))
        .unwrap();
    a.commit().unwrap();
    a.push().unwrap();
    let mut b = Dataframe::connect(&store, "GotCounter")
        .unwrap()
        .with_merge_fn(add);
    b.pull().unwrap();
    for df in [&mut a, &mut b] {
        df.set(COUNTER, &key, "count", 5).unwrap();
        df.commit().unwrap();
    }
    a.push().unwrap();
    b.push().unwrap();
    a.pull().unwrap();
    assert_eq!(
        a.read_one(COUNTER, &key).unwrap().unwrap().get("count"),
        Some(&Value::Int(6))
    );
}
