//! Protocol fuzzing of the server: valid frames of both dialects, mutated (bit flips, byte
//! changes, truncation, insertion, splices of two frames) and random bytes, each sent on its
//! own connection. The server must answer every one without a 500 (a handler panic), stay up,
//! close every connection, and the store must hold only well-typed objects afterwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ciborium::value::Value as Cbor;
use fluxion_got_protocol::{
    decode, encode, status, Frame, Limits, Remote, RemoteOptions, Server, ServerConfig,
};
use fluxion_versions::{
    Change, Dataframe, Diff, DimKind, Key, Object, Schema, Store, TypeDef, Value, VersionId,
};

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn schema() -> Schema {
    Schema::new([TypeDef::new(
        "Counter",
        "name",
        [("name", DimKind::Str), ("count", DimKind::Int)],
    )])
    .unwrap()
}

fn spacetime(entries: Vec<(i64, Cbor)>) -> Vec<u8> {
    let map = Cbor::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Cbor::Integer(k.into()), v))
            .collect(),
    );
    let mut body = Vec::new();
    ciborium::ser::into_writer(&map, &mut body).unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

fn seeds(head: VersionId) -> Vec<Vec<u8>> {
    let mut d = Diff::new();
    d.insert(
        "Counter",
        Key::from("k"),
        Change::Modify([("count".to_string(), Value::Int(2))].into()),
    );
    d.insert(
        "Counter",
        Key::from("n"),
        Change::New(Object::new("n", [("count", 3)])),
    );
    let text = |s: &str| Cbor::Text(s.into());
    let typed = |t: i64, v: Cbor| {
        Cbor::Map(vec![
            (text("type"), Cbor::Integer(t.into())),
            (text("value"), v),
        ])
    };
    let st_data = Cbor::Map(vec![(
        text("Counter"),
        Cbor::Map(vec![(
            text("k"),
            Cbor::Map(vec![
                (
                    text("types"),
                    Cbor::Map(vec![(text("Counter"), Cbor::Integer(1.into()))]),
                ),
                (
                    text("dims"),
                    Cbor::Map(vec![(text("count"), typed(0, Cbor::Integer(9.into())))]),
                ),
            ]),
        )]),
    )]);
    vec![
        encode(&Frame::fetch("C", VersionId::ROOT).with_types(["Counter"])),
        encode(&Frame::fetch("C", head).with_wait(0.01)),
        encode(&Frame::push("C", head, VersionId::random(), d.clone())),
        encode(&Frame::push("C", head, VersionId::random(), d).with_if_head()),
        encode(&Frame::ack("C", VersionId::ROOT, head)),
        spacetime(vec![
            (0, text("C")),
            (2, Cbor::Integer(0.into())),
            (3, text("ROOT")),
            (4, Cbor::Bool(false)),
            (5, Cbor::Integer(0.into())),
        ]),
        spacetime(vec![
            (0, text("C")),
            (1, st_data),
            (2, Cbor::Integer(1.into())),
            (
                3,
                Cbor::Array(vec![
                    text(&head.to_string()),
                    text(&VersionId::random().to_string()),
                ]),
            ),
            (4, Cbor::Bool(false)),
        ]),
    ]
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len());
        match rng.below(7) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = rng.next() as u8,
            2 => b.truncate(at),
            3 => b.insert(at, rng.next() as u8),
            4 if at >= 4 => {
                b[at] = [0x00, 0x17, 0x18, 0x19, 0x1f, 0x7f, 0x80, 0xbf, 0xf5][rng.below(9)]
            }
            5 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
            _ => {
                // Keep the prefix consistent with the body now and then, so that mutations
                // reach the decoder rather than the length check.
                if b.len() >= 4 {
                    let len = (b.len() - 4) as u32;
                    b[..4].copy_from_slice(&len.to_be_bytes());
                }
            }
        }
        if b.is_empty() {
            break;
        }
    }
    if rng.below(10) == 0 {
        b = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
    }
    b
}

/// Sends `bytes` (then half-closes) and returns the statuses of the thesis frames answered.
fn send(addr: &str, bytes: &[u8]) -> Vec<u16> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        match decode(&buf[at..], &Limits::default()) {
            Ok((f, used)) => {
                out.extend(f.status);
                at += used;
            }
            Err(_) => break, // a Spacetime answer or ack byte
        }
    }
    out
}

#[test]
fn mutated_and_random_frames_never_break_the_server_or_the_store() {
    let store = Store::new();
    store.create_app("C", schema()).unwrap();
    let mut df = Dataframe::connect(&store, "C").unwrap();
    df.add_one("Counter", Object::new("k", [("count", 1)]))
        .unwrap();
    df.commit().unwrap();
    df.push().unwrap();
    let config = ServerConfig {
        frame_timeout: Duration::from_millis(300),
        limits: Limits {
            max_frame_bytes: 64 * 1024,
            max_depth: 32,
        },
        ..ServerConfig::default()
    };
    let server = Server::bind(store.clone(), "127.0.0.1:0", config).unwrap();
    let addr = server.local_addr().to_string();

    let iterations: usize = std::env::var("GOT_FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1500);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..iterations {
        let seeds = seeds(store.head("C").unwrap());
        let bytes = mutate(&mut rng, &seeds);
        for code in send(&addr, &bytes) {
            *by_status.entry(code).or_default() += 1;
            assert_ne!(
                code,
                status::INTERNAL,
                "iteration {i}: a 500 for {bytes:02x?}"
            );
        }
    }
    eprintln!("{iterations} fuzzed frames, answers by status: {by_status:?}");

    // Every connection ended; the server still serves; the store holds well-typed objects.
    let t = Instant::now();
    while server.connections() > 0 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.connections(), 0);
    let r = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    r.sync_down().unwrap();
    let state = r.mirror().state("C", r.known()).unwrap();
    let k = state.get("Counter", &Key::from("k")).expect("k survives");
    assert!(matches!(k.get("count"), Some(Value::Int(_))));
    let local = store.state("C", store.head("C").unwrap()).unwrap();
    assert_eq!(local, state, "the server's state and a client's copy agree");
    store.gc("C").unwrap();
    assert!(
        store.version_count("C").unwrap() < 64,
        "held versions were released: {}",
        store.version_count("C").unwrap()
    );
}
