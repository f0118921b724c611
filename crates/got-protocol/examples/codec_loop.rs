//! Encodes and decodes a 1,000 x 1 KB push frame in a loop (for profilers):
//! `cargo run --release -p fluxion-got-protocol --example codec_loop [iterations]`.
use std::time::Instant;

use fluxion_got_protocol::{decode, encode, Frame, Limits};
use fluxion_versions::{Change, Diff, Key, Object, VersionId};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let mut diff = Diff::new();
    for i in 0..1000i64 {
        let o = Object::new(i, [("payload", format!("{i:x>1024}"))]);
        diff.insert("Blob", Key::Int(i), Change::New(o));
    }
    let frame = Frame::push("app", VersionId::ROOT, VersionId::random(), diff);
    let (mut enc, mut dec) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let bytes = encode(&frame);
        enc.push(t.elapsed());
        let t = Instant::now();
        let f = decode(&bytes, &Limits::default()).unwrap();
        dec.push(t.elapsed());
        drop(f);
    }
    enc.sort();
    dec.sort();
    println!(
        "encode median {:?}, decode median {:?}",
        enc[n / 2],
        dec[n / 2]
    );
}
