//! Reading and writing frames on blocking byte streams (TCP sockets).

use std::io::{self, Read, Write};

use thiserror::Error;

use crate::codec::{decode, encode_into, encoded_len_bound, FrameError, Limits};
use crate::frame::Frame;
use crate::pool;

/// Why a frame could not be read from a stream.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The peer closed the stream at a frame boundary (a normal end).
    #[error("connection closed")]
    Closed,
    /// The peer closed the stream, or stopped sending, in the middle of a frame.
    #[error("truncated frame: {0}")]
    Truncated(io::Error),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Io(io::Error),
}

/// Reads one length-prefixed frame's bytes (prefix included) without decoding them. The
/// length is checked against `limits` before the body is read.
pub fn read_frame_bytes(r: &mut impl Read, limits: &Limits) -> Result<Vec<u8>, ReadError> {
    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut prefix[got..]) {
            Ok(0) if got == 0 => return Err(ReadError::Closed),
            Ok(0) => {
                return Err(ReadError::Truncated(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("stream ended after {got} of the 4 length bytes"),
                )))
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if got > 0 => return Err(ReadError::Truncated(e)),
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    let len = u32::from_be_bytes(prefix) as usize;
    if len > limits.max_frame_bytes {
        return Err(FrameError::TooLarge {
            len,
            max: limits.max_frame_bytes,
        }
        .into());
    }
    let mut buf = Vec::with_capacity(4 + len);
    buf.extend_from_slice(&prefix);
    let got = r
        .by_ref()
        .take(len as u64)
        .read_to_end(&mut buf)
        .map_err(ReadError::Truncated)?;
    if got < len {
        return Err(ReadError::Truncated(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("stream ended after {got} of the {len} body bytes"),
        )));
    }
    Ok(buf)
}

/// Reads one length-prefixed frame. The length is checked against `limits` before the body is
/// read, so an oversized frame costs 4 bytes of reading, not its claimed size.
pub fn read_frame(r: &mut impl Read, limits: &Limits) -> Result<Frame, ReadError> {
    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut prefix[got..]) {
            Ok(0) if got == 0 => return Err(ReadError::Closed),
            Ok(0) => {
                return Err(ReadError::Truncated(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("stream ended after {got} of the 4 length bytes"),
                )))
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if got > 0 => return Err(ReadError::Truncated(e)),
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    let len = u32::from_be_bytes(prefix) as usize;
    if len > limits.max_frame_bytes {
        return Err(FrameError::TooLarge {
            len,
            max: limits.max_frame_bytes,
        }
        .into());
    }
    // Read into a recycled buffer, without zeroing it first.
    let mut buf = pool::take(4 + len);
    buf.extend_from_slice(&prefix);
    let got = match r.by_ref().take(len as u64).read_to_end(&mut buf) {
        Ok(n) => n,
        Err(e) => {
            pool::give(buf);
            return Err(ReadError::Truncated(e));
        }
    };
    if got < len {
        pool::give(buf);
        return Err(ReadError::Truncated(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("stream ended after {got} of the {len} body bytes"),
        )));
    }
    let frame = decode(&buf, limits);
    pool::give(buf);
    Ok(frame?.0)
}

/// Writes one frame (prefix and body in one write, so that small frames leave in one segment).
pub fn write_frame(w: &mut impl Write, frame: &Frame) -> io::Result<()> {
    let mut buf = pool::take(encoded_len_bound(frame));
    encode_into(frame, &mut buf);
    let r = w.write_all(&buf).and_then(|()| w.flush());
    pool::give(buf);
    r
}
