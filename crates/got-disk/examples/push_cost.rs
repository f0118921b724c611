//! Where a durable push's time goes: the same 1,000 x 1 KB push into an in-memory app and into
//! a durable one, timed server-side (no network).
//!
//!     cargo run --release -p fluxion-got-disk --example push_cost [-- DIR]
use std::time::Instant;

use fluxion_got_disk::Disk;
use fluxion_versions::{Change, Diff, DimKind, Key, Object, Schema, Store, TypeDef, Value};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("fluxion-push-cost-{}", std::process::id()))
        });
    let _ = std::fs::remove_dir_all(&dir);
    let schema = Schema::new([TypeDef::new(
        "Blob",
        "id",
        [("id", DimKind::Int), ("payload", DimKind::Str)],
    )])
    .unwrap();
    let diff = || {
        let mut d = Diff::new();
        for i in 0..1000i64 {
            let p: String = format!("{i:x>1024}");
            d.insert(
                "Blob",
                Key::from(i),
                Change::New(Object::new(i, [("payload", Value::from(p.as_str()))])),
            );
        }
        d
    };
    let disk = Disk::open(&dir).unwrap();
    let mem = Store::new();
    let dur = Store::new();
    let runs = 15;
    let (mut tm, mut td) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let app = format!("Bench-{run}");
        mem.create_app(&app, schema.clone()).unwrap();
        disk.open_app(&dur, &app, Some(&schema)).unwrap();
        let (d1, d2) = (diff(), diff());
        let head = mem.head(&app).unwrap();
        let t = Instant::now();
        mem.push(&app, head, d1).unwrap();
        tm.push(t.elapsed().as_secs_f64() * 1e3);
        let head = dur.head(&app).unwrap();
        let t = Instant::now();
        dur.push(&app, head, d2).unwrap();
        td.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[v.len() / 2], v[0])
    };
    let (m, mf) = med(&mut tm);
    let (d, df) = med(&mut td);
    println!("push 1000 x 1 KB, server side, median of {runs}: in memory {m:.2} ms (fastest {mf:.2}), durable {d:.2} ms (fastest {df:.2})");
    let (commits, entries) = disk.counters();
    println!("commits {commits}, entries {entries}");
    drop(disk);
    let _ = std::fs::remove_dir_all(&dir);
}
