//! The server and the client over real loopback sockets.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use fluxion_got_protocol::{
    decode, encode, read_frame, status, ClientError, Frame, Limits, Remote, RemoteOptions, Server,
    ServerConfig,
};
use fluxion_versions::{
    Change, Dataframe, Diff, DimKind, Key, Object, Schema, Store, TypeDef, Value, VersionId,
};

fn schema() -> Schema {
    Schema::new([TypeDef::new(
        "Counter",
        "name",
        [("name", DimKind::Str), ("count", DimKind::Int)],
    )])
    .unwrap()
}

fn setup(config: ServerConfig) -> (Store, Server, String) {
    let store = Store::new();
    store.create_app("C", schema()).unwrap();
    let mut df = Dataframe::connect(&store, "C").unwrap();
    df.add_one("Counter", Object::new("k", [("count", 1)]))
        .unwrap();
    df.commit().unwrap();
    df.push().unwrap();
    let server = Server::bind(store.clone(), "127.0.0.1:0", config).unwrap();
    let addr = server.local_addr().to_string();
    (store, server, addr)
}

/// Sends `bytes`, reads every frame until the server closes; `None` if it did not close.
fn exchange(addr: &str, bytes: &[u8], half_close: bool) -> Option<Vec<Frame>> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    if half_close {
        s.shutdown(Shutdown::Write).unwrap();
    }
    let mut buf = Vec::new();
    match s.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(_) => return None,
    }
    let mut frames = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let (f, used) = decode(&buf[at..], &Limits::default()).unwrap();
        frames.push(f);
        at += used;
    }
    Some(frames)
}

fn statuses(frames: Option<Vec<Frame>>) -> Vec<u16> {
    frames
        .expect("the server must close the connection")
        .iter()
        .map(|f| f.status.unwrap())
        .collect()
}

#[test]
fn remotes_sync_through_the_server() {
    let (store, _server, addr) = setup(ServerConfig::default());
    let a = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    let b = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    let mut da = Dataframe::connect(a.mirror(), "C").unwrap();
    let mut db = Dataframe::connect(b.mirror(), "C").unwrap();
    assert!(a.sync_down().unwrap());
    da.pull().unwrap();
    da.set("Counter", &Key::from("k"), "count", 2).unwrap();
    da.commit().unwrap();
    da.push().unwrap();
    let head = a.sync_up().unwrap();
    assert_eq!(head, store.head("C").unwrap());
    assert!(b.sync_down().unwrap());
    db.pull().unwrap();
    let k = Key::from("k");
    assert_eq!(
        db.read_one("Counter", &k).unwrap().unwrap().get("count"),
        Some(&Value::Int(2))
    );
    // Nothing new: no change, and the server's graph stays small (acks release versions).
    assert!(!b.sync_down().unwrap());
    store.gc("C").unwrap();
    assert!(store.version_count("C").unwrap() <= 4);
}

#[test]
fn wait_down_blocks_until_a_push_or_times_out() {
    let (_store, _server, addr) = setup(ServerConfig::default());
    let waiter = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    waiter.sync_down().unwrap();
    let t = Instant::now();
    assert!(!waiter.wait_down(Duration::from_millis(200)).unwrap());
    assert!(t.elapsed() >= Duration::from_millis(190));

    let pusher_addr = addr.clone();
    let handle = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let p = Remote::new(&pusher_addr, "C", schema(), RemoteOptions::default());
        let mut df = Dataframe::connect(p.mirror(), "C").unwrap();
        p.sync_down().unwrap();
        df.pull().unwrap();
        df.set("Counter", &Key::from("k"), "count", 9).unwrap();
        df.commit().unwrap();
        df.push().unwrap();
        p.sync_up().unwrap();
    });
    assert!(waiter.wait_down(Duration::from_secs(10)).unwrap());
    handle.join().unwrap();
    let state = waiter.mirror().state("C", waiter.known()).unwrap();
    assert_eq!(
        state.get("Counter", &Key::from("k")).unwrap().get("count"),
        Some(&Value::Int(9))
    );
}

#[test]
fn bad_input_gets_an_error_status_and_a_close() {
    let config = ServerConfig {
        limits: Limits {
            max_frame_bytes: 1024,
            max_depth: 8,
        },
        frame_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let (store, _server, addr) = setup(config);
    let before = store.head("C").unwrap();
    let fetch = encode(&Frame::fetch("C", VersionId::ROOT));

    assert_eq!(
        statuses(exchange(&addr, &[0, 0, 0, 2, 0xff, 0xff], false)),
        [400]
    );
    assert_eq!(statuses(exchange(&addr, &[0, 0, 8, 0], false)), [413]);
    assert_eq!(
        statuses(exchange(&addr, &fetch[..fetch.len() - 2], true)),
        [400]
    );
    // Stalled mid-frame: cut off after the frame timeout.
    assert_eq!(statuses(exchange(&addr, &fetch[..5], false)), [400]);
    let mut deep = vec![0xa1, 0x01];
    deep.extend(std::iter::repeat_n(0x81, 20));
    deep.push(0x01);
    let mut framed = (deep.len() as u32).to_be_bytes().to_vec();
    framed.extend(deep);
    assert_eq!(statuses(exchange(&addr, &framed, false)), [400]);
    let unknown = Frame::fetch("C", VersionId::from_u128(42));
    assert_eq!(statuses(exchange(&addr, &encode(&unknown), false)), [410]);
    let mut bad = Diff::new();
    bad.insert(
        "Counter",
        Key::from("k"),
        Change::Modify([("count".to_string(), Value::Str("x".into()))].into()),
    );
    let push = Frame::push("C", before, VersionId::random(), bad);
    assert_eq!(statuses(exchange(&addr, &encode(&push), false)), [422]);
    assert_eq!(
        store.head("C").unwrap(),
        before,
        "a refused push changes nothing"
    );

    // Two good requests on one connection still work afterwards.
    let mut s = TcpStream::connect(&addr).unwrap();
    for _ in 0..2 {
        s.write_all(&fetch).unwrap();
        let f = read_frame(&mut s, &Limits::default()).unwrap();
        assert_eq!(f.status, Some(status::OK));
        assert_eq!(f.request_type, None);
    }
}

#[test]
fn websocket_clients_get_the_same_frames() {
    let (_store, _server, addr) = setup(ServerConfig::default());
    let (mut ws, _) = tungstenite::connect(format!("ws://{addr}/")).unwrap();
    ws.send(tungstenite::Message::Binary(
        encode(&Frame::fetch("C", VersionId::ROOT)).into(),
    ))
    .unwrap();
    let reply = ws.read().unwrap().into_data();
    let (f, _) = decode(&reply, &Limits::default()).unwrap();
    assert_eq!(f.status, Some(status::OK));
    assert!(f.data.unwrap().get("Counter", &Key::from("k")).is_some());
    ws.send(tungstenite::Message::Text("hello".into())).unwrap();
    let reply = ws.read().unwrap().into_data();
    assert_eq!(
        decode(&reply, &Limits::default()).unwrap().0.status,
        Some(status::BAD_REQUEST)
    );
}

#[test]
fn connection_limit_answers_503_and_close_stops_everything() {
    let config = ServerConfig {
        max_connections: 1,
        ..ServerConfig::default()
    };
    let (_store, mut server, addr) = setup(config);
    // The first connection is busy (inside a frame): an idle one would be closed to make room.
    let mut first = TcpStream::connect(&addr).unwrap();
    first.write_all(&[0, 0]).unwrap();
    let t = Instant::now();
    while server.connections() < 1 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(statuses(exchange(&addr, &[], false)), [503]);
    server.close();
    let mut buf = [0u8; 1];
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!((&first).read(&mut buf).unwrap_or(0), 0);
    let r = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    assert!(matches!(r.sync_down(), Err(ClientError::Connect { .. })));
}
