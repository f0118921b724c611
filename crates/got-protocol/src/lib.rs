//! The GoT protocol (the thesis's chapter 5): a frame codec, a request dispatcher over a
//! [`fluxion_versions::Store`] ([`handle`]: pure, no sockets), a blocking TCP + WebSocket
//! [`Server`] built on it, and a blocking client ([`Connection`], [`Remote`]).
//!
//! # Frames
//!
//! A frame is a 4-byte big-endian length, then that many bytes holding one CBOR map with
//! integer keys (Table 5.1): 0 AppName (text), 1 Data (see below), 2 RequestType (0 fetch,
//! 1 push, 2 ack), 3 StartVersion and 4 EndVersion (text: `"ROOT"` or a UUID-form
//! [`VersionId`](fluxion_versions::VersionId)), 5 Wait (bool), 6 WaitTimeout (seconds, float or
//! integer), 7 Status (integer, after HTTP: see [`status`]), 8 Types (array of type names; a map
//! whose keys are the names, as in Listing 5.2, is accepted too). Absent fields are left out.
//! Any other key, a key that is not an integer, a repeated key or a value of the wrong type is a
//! [`FrameError`]; so are truncated, oversized ([`Limits::max_frame_bytes`]) and too deeply
//! nested ([`Limits::max_depth`]) input and bytes after the map. Decoding never panics.
//!
//! # Data: how a diff is encoded
//!
//! ```text
//! { type name (text):
//!     { object key (integer or text):
//!         { 0: event (0 new, 1 modify, 2 delete),
//!           1: { dimension name (text): value } } } }   // 1 is absent for a delete
//! ```
//!
//! A new object carries all its dimensions (the key dimension is the map key, not repeated),
//! a modification only the changed ones. Values map one to one: null, bool, integer (i64),
//! float, text, bytes, array (list), map with text keys. Unlike the thesis's Listing 5.3 the
//! values are bare CBOR items (CBOR already says their type) and the event is one integer
//! rather than a `types` sub-map.
//!
//! # Example, annotated
//!
//! A push to app `"C"` from ROOT, setting `n = 5` on object `"k"` of type `T` and deleting
//! object `7`:
//!
//! ```text
//! 00 00 00 1f                 length: 31 bytes follow
//! a4                          map of 4 entries
//!    00 61 43                   0 AppName: "C"
//!    01 a1                      1 Data: map of 1 type
//!       61 54                       "T": map of 2 objects
//!       a2
//!          07 a1 00 02                  7:   {0: 2}            delete
//!          61 6b a2 00 01               "k": {0: 1,           modify
//!                   01 a1 61 6e 05             1: {"n": 5}}
//!    02 01                      2 RequestType: 1 (push)
//!    03 64 52 4f 4f 54          3 StartVersion: "ROOT"
//! ```
//!
//! ```
//! use fluxion_got_protocol::{decode, encode, Frame, Limits, RequestType};
//! use fluxion_versions::{Change, Diff, Key, Value, VersionId};
//!
//! let mut data = Diff::new();
//! data.insert("T", Key::from("k"), Change::Modify([("n".to_string(), Value::Int(5))].into()));
//! data.insert("T", Key::Int(7), Change::Delete);
//! let frame = Frame {
//!     app_name: Some("C".into()),
//!     data: Some(data),
//!     request_type: Some(RequestType::Push),
//!     start_version: Some(VersionId::ROOT),
//!     ..Frame::default()
//! };
//! let bytes = encode(&frame);
//! let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
//! assert_eq!(
//!     hex.join(" "),
//!     "00 00 00 1f a4 00 61 43 01 a1 61 54 a2 07 a1 00 02 61 6b a2 00 01 01 a1 61 6e 05 \
//!      02 01 03 64 52 4f 4f 54"
//! );
//! assert_eq!(decode(&bytes, &Limits::default()).unwrap(), (frame, bytes.len()));
//! ```
//!
//! # Cycles
//!
//! Fetch (Figure 5.1): the client sends `{0, 2: 0, 3: its version, 5, 6, 8}`; the server answers
//! `{0, 1: diff, 3, 4: head, 7: 200}`; the client applies the diff and sends an ack
//! `{0, 2: 2, 3: old version, 4: head}`. Push (Figure 5.2): the client sends
//! `{0, 1: diff, 2: 1, 3: base version, 4: its new version}`; the server answers
//! `{0, 3, 4: head, 7: 200}` (the head differs from the client's version when the server had
//! to merge; the next fetch brings the merge). See [`handle_with`] for the details.

pub mod apps;
pub mod auth;
pub mod client;
pub mod codec;
mod conns;
mod fast;
pub mod frame;
pub mod handler;
mod holds;
pub mod io;
pub mod origin;
mod pool;
pub mod server;
pub mod spacetime;
pub mod timed;

pub use apps::{Access, ServedApps, INTERNAL_PREFIX};
pub use auth::{AuthPolicy, Token, TokenError};
pub use client::{status_text, ClientError, Connection, Remote, RemoteOptions};
pub use codec::{
    append_edge, decode, decode_body_generic, encode, encode_into, FrameError, Limits,
};
pub use frame::{status, Field, Frame, RequestType};
pub use handler::{handle, handle_releasing, handle_with, status_for, HandlerConfig};
pub use io::{read_frame, write_frame, ReadError};
pub use origin::{OriginError, OriginPolicy};
pub use server::{Server, ServerConfig};
