//! The frame: one request or response of the GoT protocol (the thesis's Table 5.1).

use std::fmt;

use fluxion_versions::{Diff, VersionId};

use crate::auth::Token;

/// Field numbers of a frame (the integer keys of its CBOR map).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    AppName = 0,
    Data = 1,
    RequestType = 2,
    StartVersion = 3,
    EndVersion = 4,
    Wait = 5,
    WaitTimeout = 6,
    Status = 7,
    Types = 8,
    IfHead = 9,
    Token = 10,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::AppName,
        Field::Data,
        Field::RequestType,
        Field::StartVersion,
        Field::EndVersion,
        Field::Wait,
        Field::WaitTimeout,
        Field::Status,
        Field::Types,
        Field::IfHead,
        Field::Token,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: i128) -> Option<Field> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Field::ALL.get(i).copied())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Field::AppName => "AppName",
            Field::Data => "Data",
            Field::RequestType => "RequestType",
            Field::StartVersion => "StartVersion",
            Field::EndVersion => "EndVersion",
            Field::Wait => "Wait",
            Field::WaitTimeout => "WaitTimeout",
            Field::Status => "Status",
            Field::Types => "Types",
            Field::IfHead => "IfHead",
            Field::Token => "Token",
        };
        write!(f, "{name} ({})", self.code())
    }
}

/// Field 2. The thesis uses 0 for fetch (Listing 5.2) and 1 for push (Listing 5.4); 2 is the
/// acknowledgement that closes a fetch cycle (step 3 of Figure 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    Fetch = 0,
    Push = 1,
    Ack = 2,
}

impl RequestType {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: i128) -> Option<RequestType> {
        match code {
            0 => Some(RequestType::Fetch),
            1 => Some(RequestType::Push),
            2 => Some(RequestType::Ack),
            _ => None,
        }
    }
}

/// Field 7 values, after HTTP.
pub mod status {
    /// Done.
    pub const OK: u16 = 200;
    /// A field the request type needs is missing, or the frame is not a request.
    pub const BAD_REQUEST: u16 = 400;
    /// The connection's first frame (or its WebSocket handshake) carries no token, or not the
    /// server's.
    pub const UNAUTHORIZED: u16 = 401;
    /// A push to an app the server serves read-only (an internal app named explicitly), or a
    /// WebSocket page whose origin is not allowed (an HTTP answer, before any frame).
    pub const FORBIDDEN: u16 = 403;
    /// No app of that name (or not one this server serves).
    pub const NOT_FOUND: u16 = 404;
    /// Wait was set and nothing changed before the timeout.
    pub const TIMEOUT: u16 = 408;
    /// The pushed version id already exists.
    pub const CONFLICT: u16 = 409;
    /// The start version is unknown (never seen, or garbage-collected): fetch from ROOT.
    pub const GONE: u16 = 410;
    /// A push with IfHead whose StartVersion is not the head any more: nothing changed; the
    /// client fetches, merges and pushes again.
    pub const PRECONDITION_FAILED: u16 = 412;
    /// The frame is larger than the server's frame limit.
    pub const TOO_LARGE: u16 = 413;
    /// The data does not fit the app's types, or does not apply to the start version.
    pub const UNPROCESSABLE: u16 = 422;
    /// Anything else.
    pub const INTERNAL: u16 = 500;
    /// The server has too many connections.
    pub const UNAVAILABLE: u16 = 503;
}

/// One protocol message. Every field is optional on the wire; which ones a request needs is up
/// to [`crate::handle`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// 0: the GoT application name.
    pub app_name: Option<String>,
    /// 1: the diff (see the crate docs for its encoding).
    pub data: Option<Diff>,
    /// 2: fetch, push or ack.
    pub request_type: Option<RequestType>,
    /// 3: the version the diff starts from.
    pub start_version: Option<VersionId>,
    /// 4: the version the diff ends at.
    pub end_version: Option<VersionId>,
    /// 5: for a fetch, block until there is something new.
    pub wait: Option<bool>,
    /// 6: how long to wait, in seconds.
    pub wait_timeout: Option<f64>,
    /// 7: response status (see [`status`]).
    pub status: Option<u16>,
    /// 8: the type names the transaction is about (a fetch answers only these types).
    pub types: Option<Vec<String>>,
    /// 9: for a push, apply it only if StartVersion is the head (else 412).
    pub if_head: Option<bool>,
    /// 10: the server's token, in a connection's first frame (see [`crate::auth`]).
    pub token: Option<Token>,
}

impl Frame {
    /// A fetch request from `from` (Listing 5.2).
    pub fn fetch(app: &str, from: VersionId) -> Frame {
        Frame {
            app_name: Some(app.to_owned()),
            request_type: Some(RequestType::Fetch),
            start_version: Some(from),
            wait: Some(false),
            ..Frame::default()
        }
    }

    /// A push request of `diff` from `from` to the client's version `to` (Listing 5.4).
    pub fn push(app: &str, from: VersionId, to: VersionId, diff: Diff) -> Frame {
        Frame {
            app_name: Some(app.to_owned()),
            data: Some(diff),
            request_type: Some(RequestType::Push),
            start_version: Some(from),
            end_version: Some(to),
            wait: Some(false),
            ..Frame::default()
        }
    }

    /// The acknowledgement of a fetch answer that moved the client from `from` to `to`.
    pub fn ack(app: &str, from: VersionId, to: VersionId) -> Frame {
        Frame {
            app_name: Some(app.to_owned()),
            request_type: Some(RequestType::Ack),
            start_version: Some(from),
            end_version: Some(to),
            ..Frame::default()
        }
    }

    /// Sets Wait and WaitTimeout (seconds).
    pub fn with_wait(mut self, timeout_secs: f64) -> Frame {
        self.wait = Some(true);
        self.wait_timeout = Some(timeout_secs);
        self
    }

    /// Sets IfHead: the push applies only if StartVersion is still the head.
    pub fn with_if_head(mut self) -> Frame {
        self.if_head = Some(true);
        self
    }

    /// Sets Token (a connection's first frame to a server that requires one).
    pub fn with_token(mut self, token: &Token) -> Frame {
        self.token = Some(token.clone());
        self
    }

    /// Sets Types.
    pub fn with_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Frame {
        self.types = Some(types.into_iter().map(Into::into).collect());
        self
    }
}
