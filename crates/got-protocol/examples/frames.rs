//! Prints the frames docs/protocol.md annotates: `cargo run -p fluxion-got-protocol --example frames`.
use fluxion_got_protocol::{encode, status, Frame};
use fluxion_versions::{Change, Diff, Key, Object, Value, VersionId};

fn show(title: &str, f: &Frame) {
    let hex: Vec<String> = encode(f).iter().map(|b| format!("{b:02x}")).collect();
    println!("{title}\n{}\n", hex.join(" "));
}

fn main() {
    let v1: VersionId = "04a17d60-2df8-4c1b-94e0-19c3949b6a60".parse().unwrap();
    let v2: VersionId = "aa4ba1b8-b34b-4154-89fb-96b8f8daf6ea".parse().unwrap();
    show(
        "fetch",
        &Frame::fetch("GotCounter", VersionId::ROOT).with_types(["Counter"]),
    );
    let mut data = Diff::new();
    data.insert(
        "Counter",
        Key::from("countDocument"),
        Change::New(Object::new("countDocument", [("count", Value::Int(0))])),
    );
    show(
        "fetch reply",
        &Frame {
            app_name: Some("GotCounter".into()),
            data: Some(data),
            start_version: Some(VersionId::ROOT),
            end_version: Some(v1),
            status: Some(status::OK),
            ..Frame::default()
        },
    );
    show("ack", &Frame::ack("GotCounter", VersionId::ROOT, v1));
    let mut data = Diff::new();
    data.insert(
        "Counter",
        Key::from("countDocument"),
        Change::Modify([("count".to_string(), Value::Int(5))].into()),
    );
    show("push", &Frame::push("GotCounter", v1, v2, data));
    show(
        "push reply",
        &Frame {
            app_name: Some("GotCounter".into()),
            start_version: Some(v1),
            end_version: Some(v2),
            status: Some(status::OK),
            ..Frame::default()
        },
    );
    show(
        "fetch with wait",
        &Frame::fetch("GotCounter", v2).with_wait(2.5),
    );
    show(
        "timeout reply",
        &Frame {
            app_name: Some("GotCounter".into()),
            start_version: Some(v2),
            status: Some(status::TIMEOUT),
            ..Frame::default()
        },
    );
    show(
        "error reply",
        &Frame {
            status: Some(status::BAD_REQUEST),
            ..Frame::default()
        },
    );
}
