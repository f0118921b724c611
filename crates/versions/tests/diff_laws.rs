//! Composition laws, checked on deterministic pseudo-random sequences.

mod common;

use common::{applied, random_diff, schema, Rng};
use fluxion_versions::{
    Change, ChangeKind, Diff, DiffError, Key, Object, Snapshot, VersionGraph, VersionId,
};

const CASES: u64 = 300;

/// A random starting state (itself built by a random diff from empty).
fn random_state(rng: &mut Rng) -> Snapshot {
    let s = Snapshot::new();
    let d = random_diff(rng, &s);
    applied(&s, &d)
}

#[test]
fn compose_then_apply_equals_apply_twice() {
    let mut rng = Rng::new(0x5eed_0001);
    for _ in 0..CASES {
        let s0 = random_state(&mut rng);
        let a = random_diff(&mut rng, &s0);
        let s1 = applied(&s0, &a);
        let b = random_diff(&mut rng, &s1);
        let s2 = applied(&s1, &b);
        let ab = a.compose(&b).expect("valid sequence composes");
        assert_eq!(applied(&s0, &ab), s2, "a={a:?}\nb={b:?}\nab={ab:?}");
    }
}

#[test]
fn compose_is_associative() {
    let mut rng = Rng::new(0x5eed_0002);
    for _ in 0..CASES {
        let s0 = random_state(&mut rng);
        let a = random_diff(&mut rng, &s0);
        let s1 = applied(&s0, &a);
        let b = random_diff(&mut rng, &s1);
        let s2 = applied(&s1, &b);
        let c = random_diff(&mut rng, &s2);
        let left = a.compose(&b).unwrap().compose(&c).unwrap();
        let right = a.compose(&b.compose(&c).unwrap()).unwrap();
        assert_eq!(left, right);
        assert_eq!(applied(&s0, &left), applied(&s2, &c));
    }
}

#[test]
fn empty_diff_is_identity() {
    let mut rng = Rng::new(0x5eed_0003);
    for _ in 0..CASES {
        let s0 = random_state(&mut rng);
        let a = random_diff(&mut rng, &s0);
        assert_eq!(Diff::new().compose(&a).unwrap(), a);
        assert_eq!(a.compose(&Diff::new()).unwrap(), a);
    }
}

#[test]
fn between_is_exact() {
    let mut rng = Rng::new(0x5eed_0004);
    for _ in 0..CASES {
        let s0 = random_state(&mut rng);
        let s1 = applied(&s0, &random_diff(&mut rng, &s0));
        let d = Diff::between(&s0, &s1);
        assert_eq!(applied(&s0, &d), s1);
        assert!(Diff::between(&s1, &s1).is_empty());
    }
}

#[test]
fn table_cells() {
    let k = Key::Int(1);
    let o = Object::new(1, [("x", 1)]);
    let p = Object::new(1, [("x", 2)]);
    let one = |c: Change| {
        let mut d = Diff::new();
        d.insert("A", k.clone(), c);
        d
    };
    let m = |v: i64| Change::Modify([("x".to_string(), v.into())].into());
    // new + modify = new with the modification
    let d = one(Change::New(o.clone())).compose(&one(m(5))).unwrap();
    assert_eq!(
        d.get("A", &k),
        Some(&Change::New(Object::new(1, [("x", 5)])))
    );
    // new + delete = nothing
    assert!(one(Change::New(o.clone()))
        .compose(&one(Change::Delete))
        .unwrap()
        .is_empty());
    // modify + modify = merged, later wins
    let d = one(m(1)).compose(&one(m(2))).unwrap();
    assert_eq!(d.get("A", &k), Some(&m(2)));
    // modify + delete = delete
    let d = one(m(1)).compose(&one(Change::Delete)).unwrap();
    assert_eq!(d.get("A", &k), Some(&Change::Delete));
    // delete + new = full overwrite
    let d = one(Change::Delete)
        .compose(&one(Change::New(p.clone())))
        .unwrap();
    assert_eq!(d.get("A", &k), Some(&m(2)));
    // impossible sequences are typed errors
    let err = one(Change::Delete).compose(&one(m(1))).unwrap_err();
    assert_eq!(
        err,
        DiffError::InvalidSequence {
            type_name: "A".into(),
            key: k.clone(),
            first: ChangeKind::Delete,
            second: ChangeKind::Modify
        }
    );
    assert!(one(Change::New(o)).compose(&one(Change::New(p))).is_err());
    assert!(one(Change::Delete).compose(&one(Change::Delete)).is_err());
}

#[test]
fn graph_delta_matches_states_before_and_after_gc() {
    let mut rng = Rng::new(0x5eed_0005);
    for round in 0..20 {
        let mut g = VersionGraph::new(schema());
        let mut versions = vec![VersionId::ROOT];
        let mut states = vec![Snapshot::new()];
        for _ in 0..15 {
            let (parent, ps) = if rng.chance(25) {
                let i = rng.below(versions.len() as u64) as usize;
                (versions[i], states[i].clone())
            } else {
                (*versions.last().unwrap(), states.last().unwrap().clone())
            };
            let d = random_diff(&mut rng, &ps);
            let v = g.commit(parent, d.clone()).unwrap();
            versions.push(v);
            states.push(applied(&ps, &d));
        }
        // keep a random subset alive, collect the rest
        let mut kept = vec![0usize];
        for (i, v) in versions.iter().enumerate().skip(1) {
            if rng.chance(30) || i == versions.len() - 1 {
                g.retain(*v).unwrap();
                kept.push(i);
            }
        }
        for &i in &kept {
            assert_eq!(g.state(versions[i]).unwrap(), states[i], "round {round}");
        }
        let removed = g.gc().unwrap();
        assert_eq!(removed, versions.len() - kept.len());
        assert_eq!(g.len(), kept.len());
        for &i in &kept {
            assert_eq!(
                g.state(versions[i]).unwrap(),
                states[i],
                "after gc, round {round}"
            );
            for &j in &kept {
                let d = g.delta(versions[i], versions[j]).unwrap();
                assert_eq!(applied(&states[i], &d), states[j]);
            }
        }
    }
}

#[test]
fn serde_round_trip() {
    let mut rng = Rng::new(0x5eed_0006);
    for _ in 0..50 {
        let s0 = random_state(&mut rng);
        let d = random_diff(&mut rng, &s0);
        let json = serde_json::to_string(&d).unwrap();
        let back: Diff = serde_json::from_str(&json).unwrap();
        // JSON has no byte strings: compare after mapping bytes the same way
        let again: Diff = serde_json::from_str(&serde_json::to_string(&back).unwrap()).unwrap();
        assert_eq!(back, again);
        assert_eq!(back.len(), d.len());
        let s_json = serde_json::to_string(&s0).unwrap();
        let _: Snapshot = serde_json::from_str(&s_json).unwrap();
    }
    let v = VersionId::random();
    let j = serde_json::to_string(&v).unwrap();
    assert_eq!(serde_json::from_str::<VersionId>(&j).unwrap(), v);
    assert_eq!(serde_json::to_string(&VersionId::ROOT).unwrap(), "\"ROOT\"");
}
