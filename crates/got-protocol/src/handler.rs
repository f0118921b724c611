//! The request dispatcher a server calls for each decoded frame.

use std::time::Duration;

use fluxion_versions::{Error, FetchRequest, PushRequest, Store, VersionId};

use crate::frame::{status, Frame, RequestType};

/// Server-side bounds of [`handle_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerConfig {
    /// Longest a fetch with Wait may block (also used when WaitTimeout is absent or 0).
    pub max_wait: Duration,
}

impl Default for HandlerConfig {
    /// 30 seconds.
    fn default() -> Self {
        HandlerConfig {
            max_wait: Duration::from_secs(30),
        }
    }
}

/// The status a store error answers with.
pub fn status_for(e: &Error) -> u16 {
    match e {
        Error::UnknownApp(_) => status::NOT_FOUND,
        Error::UnknownVersion(_) => status::GONE,
        Error::Timeout { .. } => status::TIMEOUT,
        Error::DuplicateVersion(_) => status::CONFLICT,
        Error::HeadMoved { .. } => status::PRECONDITION_FAILED,
        Error::Schema(_) | Error::Diff(_) | Error::MergeKeyMismatch { .. } => status::UNPROCESSABLE,
        _ => status::INTERNAL,
    }
}

/// [`handle_with`] with the default [`HandlerConfig`].
pub fn handle(store: &Store, frame: Frame) -> Frame {
    handle_with(store, frame, &HandlerConfig::default())
}

/// Answers one request frame; never fails (errors become a status). A fetch with Wait blocks the
/// calling thread (at most `config.max_wait`): call it from a worker thread.
///
/// * **Fetch** (2: 0) from StartVersion (ROOT if absent): answers Data = one composed diff to the
///   head (only the Types asked for, if any), StartVersion, EndVersion = head, Status 200. With
///   Wait, first blocks until the head moves past StartVersion (408 on timeout). The store keeps
///   EndVersion for the client until it acknowledges it.
/// * **Ack** (2: 2) StartVersion → EndVersion: the client now holds EndVersion; the store drops
///   its reference on StartVersion. Status 200.
/// * **Push** (2: 1) Data from StartVersion, as the client's version EndVersion (random if
///   absent): the store commits it, merging with its head if StartVersion is not the head, and
///   answers StartVersion, EndVersion = the new head, Status 200. With an EndVersion the store
///   keeps that version for the client and drops StartVersion (a push needs no ack).
///
/// Every answer carries AppName back; errors carry Status 400/404/408/409/410/422.
pub fn handle_with(store: &Store, frame: Frame, config: &HandlerConfig) -> Frame {
    handle_releasing(store, frame, config, &mut |app, v| {
        store.release_if_held(app, v).map(|_| ())
    })
}

/// [`handle_with`], with `release(app, v)` called where the client gives back its hold on a
/// StartVersion other than ROOT (an ack, a push with an EndVersion). The server passes one
/// that releases only what that connection was given (see [`crate::holds`]).
pub fn handle_releasing(
    store: &Store,
    frame: Frame,
    config: &HandlerConfig,
    release: &mut dyn FnMut(&str, VersionId) -> Result<(), Error>,
) -> Frame {
    let mut reply = Frame {
        app_name: frame.app_name.clone(),
        start_version: frame.start_version,
        ..Frame::default()
    };
    let (Some(app), Some(kind)) = (frame.app_name.as_deref(), frame.request_type) else {
        reply.status = Some(status::BAD_REQUEST);
        return reply;
    };
    let from = frame.start_version.unwrap_or(VersionId::ROOT);
    reply.start_version = Some(from);
    let result = match kind {
        RequestType::Fetch => fetch(store, app, from, &frame, config).map(|(head, data)| {
            reply.end_version = Some(head);
            reply.data = Some(data);
        }),
        RequestType::Push => match frame.data {
            None => {
                reply.status = Some(status::BAD_REQUEST);
                return reply;
            }
            Some(diff) => {
                let hold = frame.end_version.is_some();
                let req = PushRequest {
                    from,
                    version: frame.end_version,
                    diff,
                    merge_fn: None,
                    hold,
                    if_head: frame.if_head == Some(true),
                };
                store.push_request(app, req).and_then(|r| {
                    if hold && !from.is_root() {
                        release(app, from)?;
                    }
                    reply.end_version = Some(r.head);
                    Ok(())
                })
            }
        },
        RequestType::Ack => match frame.end_version {
            None => {
                reply.status = Some(status::BAD_REQUEST);
                return reply;
            }
            Some(to) => {
                reply.end_version = Some(to);
                if from.is_root() {
                    store.head(app).map(|_| ())
                } else {
                    release(app, from)
                }
            }
        },
    };
    reply.status = Some(match result {
        Ok(()) => status::OK,
        Err(e) => {
            reply.data = None;
            status_for(&e)
        }
    });
    reply
}

fn fetch(
    store: &Store,
    app: &str,
    from: VersionId,
    frame: &Frame,
    config: &HandlerConfig,
) -> Result<(VersionId, fluxion_versions::Diff), Error> {
    let wait = (frame.wait == Some(true)).then(|| {
        frame
            .wait_timeout
            .filter(|t| *t > 0.0)
            .and_then(|t| Duration::try_from_secs_f64(t).ok())
            .map_or(config.max_wait, |t| t.min(config.max_wait))
    });
    let req = FetchRequest {
        from,
        wait,
        hold: true,
    };
    let reply = store.fetch_request(app, &req)?;
    let diff = match &frame.types {
        Some(types) => reply.diff.filter_types(types),
        None => reply.diff,
    };
    Ok((reply.head, diff))
}
