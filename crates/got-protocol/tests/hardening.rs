//! The server's limits and policies, each exercised over real loopback sockets: the token,
//! the WebSocket Origin allow-list, the idle timeout, the whole-frame deadline, the connection
//! limit (idle connections closed first), the bound on unacknowledged fetches, the served apps.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use ciborium::value::Value as Cbor;
use fluxion_got_protocol::{
    decode, encode, read_frame, status, AuthPolicy, ClientError, Frame, Limits, OriginPolicy,
    Remote, RemoteOptions, ServedApps, Server, ServerConfig, Token,
};
use fluxion_versions::{
    Change, Dataframe, Diff, DimKind, Key, Object, Schema, Store, TypeDef, Value, VersionId,
};
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;

const TOKEN: &str = "test-token-0123456789";

fn schema() -> Schema {
    Schema::new([TypeDef::new(
        "Counter",
        "name",
        [("name", DimKind::Str), ("count", DimKind::Int)],
    )])
    .unwrap()
}

fn store_with(apps: &[&str]) -> Store {
    let store = Store::new();
    for app in apps {
        store.create_app(app, schema()).unwrap();
        let mut df = Dataframe::connect(&store, app).unwrap();
        df.add_one("Counter", Object::new("k", [("count", 1)]))
            .unwrap();
        df.commit().unwrap();
        df.push().unwrap();
    }
    store
}

fn serve(store: &Store, config: ServerConfig) -> (Server, String) {
    let server = Server::bind(store.clone(), "127.0.0.1:0", config).unwrap();
    let addr = server.local_addr().to_string();
    (server, addr)
}

fn token() -> Token {
    Token::new(TOKEN).unwrap()
}

fn with_token() -> ServerConfig {
    ServerConfig {
        auth: AuthPolicy::with_token(token()),
        ..ServerConfig::default()
    }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Sends one frame and reads one answer.
fn ask(s: &mut TcpStream, frame: &Frame) -> Frame {
    s.write_all(&encode(frame)).unwrap();
    read_frame(s, &Limits::default()).unwrap()
}

/// Whether the server closed `s` (reads end) within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                )
            }
        }
    }
}

fn push_one(store: &Store, app: &str, n: i64) {
    let head = store.head(app).unwrap();
    let mut d = Diff::new();
    d.insert(
        "Counter",
        Key::from("k"),
        Change::Modify([("count".to_string(), Value::Int(n))].into()),
    );
    store.push(app, head, d).unwrap();
}

// ------------------------------------------------------------------ token

#[test]
fn the_first_frame_must_carry_the_token() {
    let store = store_with(&["C"]);
    let (_server, addr) = serve(&store, with_token());
    let fetch = Frame::fetch("C", VersionId::ROOT);

    let mut s = connect(&addr);
    let reply = ask(&mut s, &fetch);
    assert_eq!(reply.status, Some(status::UNAUTHORIZED));
    assert_eq!(reply.data, None, "nothing is read without the token");
    assert!(closed_within(&mut s, Duration::from_secs(5)));

    let mut s = connect(&addr);
    let wrong = Token::new("not-the-token-0123456789").unwrap();
    let reply = ask(&mut s, &fetch.clone().with_token(&wrong));
    assert_eq!(reply.status, Some(status::UNAUTHORIZED));
    assert!(closed_within(&mut s, Duration::from_secs(5)));

    // The token in the first frame authenticates the connection: later frames need none,
    // but one that carries a wrong token is refused.
    let mut s = connect(&addr);
    assert_eq!(
        ask(&mut s, &fetch.clone().with_token(&token())).status,
        Some(status::OK)
    );
    assert_eq!(ask(&mut s, &fetch).status, Some(status::OK));
    assert_eq!(
        ask(&mut s, &fetch.clone().with_token(&wrong)).status,
        Some(status::UNAUTHORIZED)
    );

    // The client presents it from its options.
    let anonymous = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    assert!(matches!(
        anonymous.sync_down(),
        Err(ClientError::Status { status: 401, .. })
    ));
    let options = RemoteOptions {
        token: Some(token()),
        ..RemoteOptions::default()
    };
    let r = Remote::new(&addr, "C", schema(), options);
    assert!(r.sync_down().unwrap());
}

fn spacetime_pull(app: &str) -> Vec<u8> {
    let map = Cbor::Map(vec![
        (Cbor::Integer(0.into()), Cbor::Text(app.into())),
        (Cbor::Integer(2.into()), Cbor::Integer(0.into())),
        (Cbor::Integer(3.into()), Cbor::Text("ROOT".into())),
        (Cbor::Integer(4.into()), Cbor::Bool(false)),
        (Cbor::Integer(5.into()), Cbor::Integer(0.into())),
    ]);
    let mut body = Vec::new();
    ciborium::ser::into_writer(&map, &mut body).unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// A Spacetime pull: the answer's length prefix, or `None` if the server closed instead.
fn spacetime_answer(addr: &str, app: &str) -> Option<u32> {
    let mut s = connect(addr);
    s.write_all(&spacetime_pull(app)).unwrap();
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    Some(u32::from_be_bytes(len))
}

#[test]
fn spacetime_clients_cannot_present_a_token_so_they_need_an_opt_in() {
    let store = store_with(&["C"]);
    let (_strict, strict) = serve(&store, with_token());
    assert_eq!(spacetime_answer(&strict, "C"), None);
    let mut config = with_token();
    config.auth.allow_unauthenticated = true;
    let (_lax, lax) = serve(&store, config);
    assert!(spacetime_answer(&lax, "C").is_some());
    // A wrong token is refused even then.
    let mut s = connect(&lax);
    let wrong = Token::new("not-the-token-0123456789").unwrap();
    let reply = ask(
        &mut s,
        &Frame::fetch("C", VersionId::ROOT).with_token(&wrong),
    );
    assert_eq!(reply.status, Some(status::UNAUTHORIZED));
}

// ------------------------------------------------------------------ WebSocket: origin, token

fn ws_request(
    addr: &str,
    origin: Option<&str>,
    protocols: Option<&str>,
) -> tungstenite::handshake::client::Request {
    let mut req = format!("ws://{addr}/").into_client_request().unwrap();
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(o).unwrap());
    }
    if let Some(p) = protocols {
        req.headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_str(p).unwrap());
    }
    req
}

/// The HTTP status a refused handshake got, and its body.
fn refused(r: tungstenite::Result<impl Sized>) -> (u16, String) {
    match r {
        Err(tungstenite::Error::Http(resp)) => (
            resp.status().as_u16(),
            String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).into_owned(),
        ),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("expected an HTTP refusal, the handshake succeeded"),
    }
}

fn ws_fetch<S: Read + Write>(ws: &mut tungstenite::WebSocket<S>, frame: &Frame) -> Frame {
    ws.send(tungstenite::Message::Binary(encode(frame).into()))
        .unwrap();
    let reply = ws.read().unwrap().into_data();
    decode(&reply, &Limits::default()).unwrap().0
}

#[test]
fn a_foreign_origin_is_refused_with_403() {
    let store = store_with(&["C"]);
    let (_server, addr) = serve(&store, ServerConfig::default());
    let (code, body) = refused(tungstenite::connect(ws_request(
        &addr,
        Some("http://evil.test:8080"),
        None,
    )));
    assert_eq!(code, 403);
    assert!(
        body.contains("origin http://evil.test:8080 is not allowed"),
        "{body}"
    );
    // The same host on another port (the page's HTTP server) is allowed, and so is a client
    // that sends no Origin (not a browser).
    let (mut ws, _) =
        tungstenite::connect(ws_request(&addr, Some("http://127.0.0.1:3000"), None)).unwrap();
    assert_eq!(
        ws_fetch(&mut ws, &Frame::fetch("C", VersionId::ROOT)).status,
        Some(status::OK)
    );
    let (mut ws, _) = tungstenite::connect(ws_request(&addr, None, None)).unwrap();
    assert_eq!(
        ws_fetch(&mut ws, &Frame::fetch("C", VersionId::ROOT)).status,
        Some(status::OK)
    );
    // An explicit list replaces the default.
    let config = ServerConfig {
        origins: OriginPolicy::from_list(&["http://app.test:3000"]),
        ..ServerConfig::default()
    };
    let (_listed, listed) = serve(&store, config);
    assert!(tungstenite::connect(ws_request(&listed, Some("http://app.test:3000"), None)).is_ok());
    let (code, _) = refused(tungstenite::connect(ws_request(
        &listed,
        Some("http://127.0.0.1:3000"),
        None,
    )));
    assert_eq!(code, 403);
}

#[test]
fn websocket_token_in_a_subprotocol_or_the_first_frame() {
    let store = store_with(&["C"]);
    let (_server, addr) = serve(&store, with_token());
    let fetch = Frame::fetch("C", VersionId::ROOT);
    // A subprotocol carries it (browsers cannot set headers); the server selects fluxion-got.
    let protocols = format!("fluxion-got, fluxion-got-token.{TOKEN}");
    let (mut ws, resp) = tungstenite::connect(ws_request(&addr, None, Some(&protocols))).unwrap();
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        "fluxion-got"
    );
    assert_eq!(ws_fetch(&mut ws, &fetch).status, Some(status::OK));
    // A wrong one: HTTP 401 before any frame.
    let (code, body) = refused(tungstenite::connect(ws_request(
        &addr,
        None,
        Some("fluxion-got, fluxion-got-token.wrong-token-0123456789"),
    )));
    assert_eq!(code, 401);
    assert!(body.contains("token"), "{body}");
    // None in the handshake: the first frame must carry it.
    let (mut ws, _) = tungstenite::connect(ws_request(&addr, None, None)).unwrap();
    assert_eq!(ws_fetch(&mut ws, &fetch).status, Some(status::UNAUTHORIZED));
    let (mut ws, _) = tungstenite::connect(ws_request(&addr, None, None)).unwrap();
    assert_eq!(
        ws_fetch(&mut ws, &fetch.clone().with_token(&token())).status,
        Some(status::OK)
    );
}

// ------------------------------------------------------------------ deadlines

#[test]
fn a_client_sending_one_byte_at_a_time_is_cut_at_the_frame_deadline() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        frame_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_secs(60),
        ..ServerConfig::default()
    };
    let (_server, addr) = serve(&store, config);
    let bytes = encode(&Frame::fetch("C", VersionId::ROOT));
    // Every byte comes well within any per-read timeout (100 ms apart), but the whole frame
    // would take ~2 s: the server answers 400 and closes at the frame's deadline.
    let mut s = connect(&addr);
    let started = Instant::now();
    let mut cut_after = None;
    for b in &bytes {
        if s.write_all(&[*b]).is_err() {
            cut_after = Some(started.elapsed());
            break;
        }
        thread::sleep(Duration::from_millis(100));
        let mut probe = [0u8; 1];
        s.set_nonblocking(true).unwrap();
        let peeked = s.peek(&mut probe);
        s.set_nonblocking(false).unwrap();
        if peeked.is_ok() {
            cut_after = Some(started.elapsed());
            break;
        }
    }
    let cut_after = cut_after.expect("the server never cut the slow client");
    assert!(
        cut_after >= Duration::from_millis(500) && cut_after < Duration::from_millis(1500),
        "cut after {cut_after:?}"
    );
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let reply = read_frame(&mut s, &Limits::default()).unwrap();
    assert_eq!(reply.status, Some(status::BAD_REQUEST));
    assert!(closed_within(&mut s, Duration::from_secs(5)));

    // The same frame in three pieces inside the deadline is served.
    let mut s = connect(&addr);
    for chunk in bytes.chunks(bytes.len() / 3 + 1) {
        s.write_all(chunk).unwrap();
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        read_frame(&mut s, &Limits::default()).unwrap().status,
        Some(status::OK)
    );
}

#[test]
fn idle_connections_are_closed_and_clients_reconnect_transparently() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        idle_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let (server, addr) = serve(&store, config);
    let mut s = connect(&addr);
    assert_eq!(
        ask(&mut s, &Frame::fetch("C", VersionId::ROOT)).status,
        Some(status::OK)
    );
    let t = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(5)));
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    // A connection that never sends anything is closed too.
    let mut silent = connect(&addr);
    assert!(closed_within(&mut silent, Duration::from_secs(12)));

    // A remote's pooled connection closed by the server is replaced on its next request.
    let r = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    assert!(r.sync_down().unwrap());
    thread::sleep(Duration::from_millis(600));
    push_one(&store, "C", 5);
    assert!(r.sync_down().unwrap());
    let state = r.mirror().state("C", r.known()).unwrap();
    assert_eq!(
        state.get("Counter", &Key::from("k")).unwrap().get("count"),
        Some(&Value::Int(5))
    );
    drop(server);
}

// ------------------------------------------------------------------ connection limit

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out: {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn three_hundred_idle_sockets_do_not_lock_out_a_new_client() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        frame_timeout: Duration::from_secs(30),
        ..ServerConfig::default()
    };
    assert_eq!(config.max_connections, 256);
    let (server, addr) = serve(&store, config);
    // 300 sockets: half connect and say nothing, half fetch once and then sit idle.
    let mut idle = Vec::new();
    for i in 0..300 {
        let mut s = connect(&addr);
        if i % 2 == 1 {
            s.write_all(&encode(&Frame::fetch("C", VersionId::ROOT)))
                .unwrap();
        }
        idle.push(s);
    }
    wait_for("the server to hold 256 connections", || {
        server.connections() == 256
    });
    // A real client is served: the connection idle the longest made room for it.
    let r = Remote::new(&addr, "C", schema(), RemoteOptions::default());
    assert!(r.sync_down().unwrap());
    assert!(server.connections() <= 256);
    drop(idle);
}

#[test]
fn when_every_connection_is_busy_a_new_one_gets_503() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let (server, addr) = serve(&store, config);
    // Two clients parked in a fetch with Wait are busy, not idle.
    let head = store.head("C").unwrap();
    let mut parked = Vec::new();
    for _ in 0..2 {
        let mut s = connect(&addr);
        s.write_all(&encode(&Frame::fetch("C", head).with_wait(5.0)))
            .unwrap();
        parked.push(s);
    }
    wait_for("two parked connections", || server.connections() == 2);
    thread::sleep(Duration::from_millis(100));
    let mut third = connect(&addr);
    let reply = read_frame(&mut third, &Limits::default()).unwrap();
    assert_eq!(reply.status, Some(status::UNAVAILABLE));
    // A push wakes them; both are answered.
    push_one(&store, "C", 7);
    for s in &mut parked {
        assert_eq!(
            read_frame(s, &Limits::default()).unwrap().status,
            Some(status::OK)
        );
    }
}

// ------------------------------------------------------------------ unacked fetches

#[test]
fn fetched_but_unacked_versions_are_released_after_a_bound() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        max_unacked: 4,
        ..ServerConfig::default()
    };
    let (_server, addr) = serve(&store, config);
    // A client fetches after every push and never acks: without a bound every version it
    // was given would stay in the graph.
    let mut s = connect(&addr);
    for n in 0..40 {
        push_one(&store, "C", n);
        assert_eq!(
            ask(&mut s, &Frame::fetch("C", VersionId::ROOT)).status,
            Some(status::OK)
        );
    }
    store.gc("C").unwrap();
    let held = store.version_count("C").unwrap();
    assert!(held <= 4 + 3, "{held} versions kept");
    // Closing the connection releases the rest.
    drop(s);
    wait_for("the holds to be released", || {
        store.gc("C").unwrap();
        store.version_count("C").unwrap() <= 2
    });

    // The age bound.
    let config = ServerConfig {
        unacked_timeout: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let (_server, addr) = serve(&store, config);
    let mut s = connect(&addr);
    for n in 0..5 {
        push_one(&store, "C", 100 + n);
        ask(&mut s, &Frame::fetch("C", VersionId::ROOT));
    }
    thread::sleep(Duration::from_millis(300));
    // The next request expires the old holds.
    push_one(&store, "C", 200);
    ask(&mut s, &Frame::fetch("C", VersionId::ROOT));
    store.gc("C").unwrap();
    assert!(store.version_count("C").unwrap() <= 3);
}

// ------------------------------------------------------------------ pushed and acked holds

/// A push from ROOT with an EndVersion: the server keeps that version for the client.
fn push_from_root(app: &str, key: &str) -> Frame {
    let mut d = Diff::new();
    d.insert(
        "Counter",
        Key::from(key),
        Change::New(Object::new(key, [("count", 1)])),
    );
    Frame::push(app, VersionId::ROOT, VersionId::random(), d)
}

#[test]
fn pushes_from_root_cannot_pin_versions_without_bound() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        max_unacked: 4,
        max_connections: 6,
        ..ServerConfig::default()
    };
    let (server, addr) = serve(&store, config);
    // Fresh clients (or one that pretends to be): every push starts from ROOT, so it gives
    // nothing back, and each asks the server to keep the version it pushed.
    for c in 0..12 {
        let mut s = connect(&addr);
        for n in 0..10 {
            let reply = ask(&mut s, &push_from_root("C", &format!("k{c}-{n}")));
            assert_eq!(reply.status, Some(status::OK));
        }
        store.gc("C").unwrap();
        let held = store.version_count("C").unwrap();
        // ROOT, the head, this connection's 4 holds, at most 6 parked ones.
        assert!(
            held <= 2 + 4 + 6,
            "{held} versions kept after connection {c}"
        );
    }
    wait_for("the last connection's holds to be parked", || {
        server.connections() == 0 && server.parked_holds() == 6
    });
    // Nothing pushed was lost: 120 objects and the first one.
    let mut df = Dataframe::connect(&store, "C").unwrap();
    df.pull().unwrap();
    assert_eq!(df.read_all("Counter").unwrap().len(), 121);
}

#[test]
fn a_client_releases_only_the_holds_it_was_given() {
    let store = store_with(&["C"]);
    let (_server, addr) = serve(&store, ServerConfig::default());
    // Another client holds `mine` (fetched and acked).
    let mut other = connect(&addr);
    let fetched = ask(&mut other, &Frame::fetch("C", VersionId::ROOT));
    let mine = fetched.end_version.unwrap();
    other
        .write_all(&encode(&Frame::ack("C", VersionId::ROOT, mine)))
        .unwrap();
    assert_eq!(
        read_frame(&mut other, &Limits::default()).unwrap().status,
        Some(status::OK)
    );
    // A stranger acks from it, twice (the head: also the store's own reference).
    let mut s = connect(&addr);
    for _ in 0..2 {
        assert_eq!(
            ask(&mut s, &Frame::ack("C", mine, mine)).status,
            Some(status::OK)
        );
    }
    push_one(&store, "C", 7);
    store.gc("C").unwrap();
    // The other client can still fetch from its version, and the app still takes pushes.
    let reply = ask(&mut other, &Frame::fetch("C", mine));
    assert_eq!(
        reply.status,
        Some(status::OK),
        "the other client's hold was released"
    );
    push_one(&store, "C", 8);
}

// ------------------------------------------------------------------ Spacetime dialect holds

fn st_frame(entries: Vec<(i64, Cbor)>) -> Vec<u8> {
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

fn st_text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn st_int(n: i64) -> Cbor {
    Cbor::Integer(n.into())
}

/// A Spacetime 2.1 push of a new Counter `key` from `start` to a fresh version, as its
/// `Dataframe.push` sends it (Wait set, so the server acks once it has applied it); returns
/// the version pushed.
fn st_push(s: &mut TcpStream, app: &str, start: &str, key: &str) -> String {
    let end = VersionId::random().to_string();
    let typed =
        |t: i64, v: Cbor| Cbor::Map(vec![(st_text("type"), st_int(t)), (st_text("value"), v)]);
    let obj = Cbor::Map(vec![
        (
            st_text("dims"),
            Cbor::Map(vec![
                (st_text("name"), typed(1, st_text(key))),
                (st_text("count"), typed(0, st_int(1))),
            ]),
        ),
        (
            st_text("types"),
            Cbor::Map(vec![(st_text("Counter"), st_int(0))]),
        ),
    ]);
    let data = Cbor::Map(vec![(
        st_text("Counter"),
        Cbor::Map(vec![(st_text(key), obj)]),
    )]);
    s.write_all(&st_frame(vec![
        (0, st_text(app)),
        (1, data),
        (2, st_int(1)),
        (3, Cbor::Array(vec![st_text(start), st_text(&end)])),
        (4, Cbor::Bool(true)),
        (5, st_int(0)),
    ]))
    .unwrap();
    let mut ack = [0u8; 1];
    s.read_exact(&mut ack).unwrap();
    assert_eq!(ack, [1]);
    end
}

/// A Spacetime 2.1 pull from `from`, acknowledged with `ack`; returns the version it moved to.
fn st_pull(s: &mut TcpStream, app: &str, from: &str, ack: u8) -> String {
    s.write_all(&st_frame(vec![
        (0, st_text(app)),
        (2, st_int(0)),
        (3, st_text(from)),
        (4, Cbor::Bool(false)),
        (5, st_int(0)),
    ]))
    .unwrap();
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).unwrap();
    s.write_all(&[ack]).unwrap();
    let map: Cbor = ciborium::de::from_reader(body.as_slice()).unwrap();
    let Cbor::Map(m) = map else {
        panic!("not a map")
    };
    let versions = m
        .iter()
        .find(|(k, _)| *k == st_int(3))
        .map(|(_, v)| v.clone())
        .unwrap();
    let Cbor::Array(vs) = versions else {
        panic!("Versions is not [start, end]")
    };
    match &vs[1] {
        Cbor::Text(t) => t.clone(),
        v => panic!("end version {v:?}"),
    }
}

#[test]
fn spacetime_pushes_from_root_cannot_pin_versions_without_bound() {
    let store = store_with(&["C"]);
    let config = ServerConfig {
        max_unacked: 4,
        max_connections: 6,
        ..ServerConfig::default()
    };
    let (server, addr) = serve(&store, config);
    // Spacetime clients that never pull: every push starts from ROOT and the server keeps
    // each pushed version for its client.
    for c in 0..12 {
        let mut s = connect(&addr);
        for n in 0..10 {
            st_push(&mut s, "C", "ROOT", &format!("k{c}-{n}"));
        }
        store.gc("C").unwrap();
        let held = store.version_count("C").unwrap();
        // ROOT, the head, this connection's 4 holds, at most 6 parked ones.
        assert!(
            held <= 2 + 4 + 6,
            "{held} versions kept after connection {c}"
        );
    }
    wait_for("the last connection's holds to be parked", || {
        server.connections() == 0 && server.parked_holds() == 6
    });
    let mut df = Dataframe::connect(&store, "C").unwrap();
    df.pull().unwrap();
    assert_eq!(df.read_all("Counter").unwrap().len(), 121);
}

#[test]
fn a_spacetime_client_releases_only_the_holds_it_was_given() {
    let store = store_with(&["C"]);
    let (server, addr) = serve(&store, ServerConfig::default());
    // A thesis client holds `mine` (fetched and acked).
    let mut other = connect(&addr);
    let fetched = ask(&mut other, &Frame::fetch("C", VersionId::ROOT));
    let mine = fetched.end_version.unwrap();
    other
        .write_all(&encode(&Frame::ack("C", VersionId::ROOT, mine)))
        .unwrap();
    assert_eq!(
        read_frame(&mut other, &Limits::default()).unwrap().status,
        Some(status::OK)
    );
    push_one(&store, "C", 7);
    // A Spacetime client that never held `mine` pulls from it and pushes from it, twice
    // each: nothing of `mine` is its to give back.
    let mut s = connect(&addr);
    for n in 0..2 {
        st_pull(&mut s, "C", &mine.to_string(), 1);
        st_push(&mut s, "C", &mine.to_string(), &format!("s{n}"));
    }
    store.gc("C").unwrap();
    let reply = ask(&mut other, &Frame::fetch("C", mine));
    assert_eq!(
        reply.status,
        Some(status::OK),
        "the other client's hold was released"
    );
    // Its own holds it does give back: pulling from the head it pushed, then pushing from
    // what it pulled, it keeps one version, and an unapplied pull (ack 0) keeps none.
    let mut held = Vec::new();
    let mut at = st_pull(&mut s, "C", "ROOT", 1);
    for n in 0..20 {
        at = st_push(&mut s, "C", &at, &format!("t{n}"));
        at = st_pull(&mut s, "C", &at, 1);
        let _ = st_pull(&mut s, "C", &at, 0);
        store.gc("C").unwrap();
        held.push(store.version_count("C").unwrap());
    }
    // ROOT, the head (also this client's), `mine`, and what the first pushes still hold (at
    // most max_unacked): the count stops growing.
    assert!(
        held[19] <= held[4],
        "versions kept grow with each pull and push: {held:?}"
    );
    drop(s);
    wait_for("the Spacetime connection's hold to be parked", || {
        server.connections() == 1 && server.parked_holds() == 1
    });
}

// ------------------------------------------------------------------ served apps

#[test]
fn internal_apps_are_not_served_unless_named_and_never_writable() {
    let store = store_with(&["C", "fluxion-contexts"]);
    let before = store.head("fluxion-contexts").unwrap();
    let mut d = Diff::new();
    d.insert(
        "Counter",
        Key::from("evil"),
        Change::New(Object::new("evil", [("count", 1)])),
    );
    let push = Frame::push("fluxion-contexts", before, VersionId::random(), d);
    let fetch = Frame::fetch("fluxion-contexts", VersionId::ROOT);

    let (_server, addr) = serve(&store, ServerConfig::default());
    let mut s = connect(&addr);
    assert_eq!(ask(&mut s, &fetch).status, Some(status::NOT_FOUND));
    let mut s = connect(&addr);
    assert_eq!(ask(&mut s, &push).status, Some(status::NOT_FOUND));
    assert_eq!(spacetime_answer(&addr, "fluxion-contexts"), None);
    let mut s = connect(&addr);
    assert_eq!(
        ask(&mut s, &Frame::fetch("C", VersionId::ROOT)).status,
        Some(status::OK)
    );

    // Only the named apps; an internal one named explicitly is read-only.
    let config = ServerConfig {
        apps: ServedApps::named(["fluxion-contexts"]),
        ..ServerConfig::default()
    };
    let (_named, named) = serve(&store, config);
    let mut s = connect(&named);
    assert_eq!(
        ask(&mut s, &Frame::fetch("C", VersionId::ROOT)).status,
        Some(status::NOT_FOUND)
    );
    let mut s = connect(&named);
    assert_eq!(ask(&mut s, &fetch).status, Some(status::OK));
    assert_eq!(ask(&mut s, &push).status, Some(status::FORBIDDEN));
    assert_eq!(store.head("fluxion-contexts").unwrap(), before);
}
