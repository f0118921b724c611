//! Where the time of a 1,000 x 1 KB push goes (not a test): `cargo run --release --example profile`.
use std::time::Instant;

use fluxion_got_protocol::{
    decode, encode, Frame, Limits, Remote, RemoteOptions, Server, ServerConfig,
};
use fluxion_versions::{Dataframe, DimKind, Object, Schema, Store, TypeDef, VersionId};

fn main() {
    let schema = Schema::new([TypeDef::new(
        "Blob",
        "id",
        [("id", DimKind::Int), ("payload", DimKind::Str)],
    )])
    .unwrap();
    let objs: Vec<Object> = (0..1000)
        .map(|i| Object::new(i as i64, [("payload", format!("{i:x>1024}"))]))
        .collect();
    let store = Store::new();
    let server = Server::bind(store.clone(), "127.0.0.1:0", ServerConfig::default()).unwrap();
    let addr = server.local_addr().to_string();
    for run in 0..5 {
        let app = format!("B{run}");
        store.create_app(&app, schema.clone()).unwrap();
        let t = Instant::now();
        let remote = Remote::new(&addr, &app, schema.clone(), RemoteOptions::default());
        let mut df = Dataframe::connect(remote.mirror(), &app).unwrap();
        df.add_many("Blob", objs.clone()).unwrap();
        let t_add = t.elapsed();
        df.commit().unwrap();
        let t_commit = t.elapsed();
        remote.sync_down().unwrap();
        let t_down = t.elapsed();
        df.push().unwrap();
        let t_push_local = t.elapsed();
        remote.sync_up().unwrap();
        let t_up = t.elapsed();
        let diff = store.fetch(&app, VersionId::ROOT).unwrap().1;
        let t0 = Instant::now();
        let bytes = encode(&Frame::push(
            &app,
            VersionId::ROOT,
            VersionId::random(),
            diff,
        ));
        let t_enc = t0.elapsed();
        let t0 = Instant::now();
        decode(&bytes, &Limits::default()).unwrap();
        let t_dec = t0.elapsed();
        let remote2 = Remote::new(&addr, &app, schema.clone(), RemoteOptions::default());
        let mut df2 = Dataframe::connect(remote2.mirror(), &app).unwrap();
        let t0 = Instant::now();
        remote2.sync_down().unwrap();
        let t_down2 = t0.elapsed();
        df2.pull().unwrap();
        let t_pull = t0.elapsed();
        let s2 = Store::new();
        s2.create_app("x", schema.clone()).unwrap();
        let d = store.fetch(&app, VersionId::ROOT).unwrap().1;
        let t0 = Instant::now();
        s2.push("x", VersionId::ROOT, d.clone()).unwrap();
        let t_store_push = t0.elapsed();
        let t0 = Instant::now();
        let _ = s2.gc("x");
        let t_gc = t0.elapsed();
        let t0 = Instant::now();
        let _ = d.clone().normalize(&schema).unwrap();
        let t_norm = t0.elapsed();
        let t0 = Instant::now();
        let _ = s2.fetch("x", VersionId::ROOT).unwrap();
        let t_fetch = t0.elapsed();
        println!(
            "store push {t_store_push:?} gc {t_gc:?} normalize {t_norm:?} store fetch {t_fetch:?}"
        );
        println!(
            "add {:?} commit {:?} down {:?} push_local {:?} up {:?} | encode {:?} decode {:?} ({} B) | pull: down {:?} total {:?}",
            t_add, t_commit - t_add, t_down - t_commit, t_push_local - t_down, t_up - t_push_local,
            t_enc, t_dec, bytes.len(), t_down2, t_pull
        );
    }
}
