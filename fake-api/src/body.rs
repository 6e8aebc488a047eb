//! Response bodies: whole buffers, deliberately cut-off bodies, and streamed oversized bodies.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

/// Size of each streamed padding chunk.
const PAD_CHUNK: usize = 64 * 1024;
/// Padding bytes shared by every oversized body (no per-response allocation).
static PAD: [u8; PAD_CHUNK] = [b'x'; PAD_CHUNK];
/// How long a cut-off body waits after its chunk before aborting, so that hyper flushes
/// the head and the chunk to the client first.
const CUT_GRACE: Duration = Duration::from_millis(20);

/// The error a cut-off body reports so that hyper aborts the connection mid-body.
#[derive(Debug)]
pub struct BodyAborted;

impl fmt::Display for BodyAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body deliberately cut off")
    }
}

impl std::error::Error for BodyAborted {}

#[derive(Debug)]
enum Inner {
    Full(Option<Bytes>),
    Cut {
        chunk: Option<Bytes>,
        declared: u64,
        grace: Option<Pin<Box<tokio::time::Sleep>>>,
    },
    Padded {
        head: Option<Bytes>,
        pad_left: u64,
        tail: Option<Bytes>,
        chunked: bool,
    },
    Slow {
        head: Option<Bytes>,
        tail: Option<Bytes>,
        pause: Duration,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    },
}

/// The body type of every response the server sends.
#[derive(Debug)]
pub struct ResponseBody {
    inner: Inner,
}

impl ResponseBody {
    /// A complete body.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self {
            inner: Inner::Full(Some(bytes.into())),
        }
    }

    /// Announces `declared` bytes but sends only `chunk`, then aborts the connection.
    pub fn cut(chunk: impl Into<Bytes>, declared: u64) -> Self {
        Self {
            inner: Inner::Cut {
                chunk: Some(chunk.into()),
                declared,
                grace: None,
            },
        }
    }

    /// `head`, then `pad` bytes of `x` streamed in chunks, then `tail`.
    /// With `chunked`, no length is announced (chunked transfer encoding).
    pub fn padded(head: impl Into<Bytes>, pad: u64, tail: impl Into<Bytes>, chunked: bool) -> Self {
        Self {
            inner: Inner::Padded {
                head: Some(head.into()),
                pad_left: pad,
                tail: Some(tail.into()),
                chunked,
            },
        }
    }
}

impl ResponseBody {
    /// `bytes` in two halves with `pause` between them: a body that
    /// arrives too slowly, its length announced.
    pub fn slow(bytes: impl Into<Bytes>, pause: Duration) -> Self {
        let mut head: Bytes = bytes.into();
        let tail = head.split_off(head.len() / 2);
        Self {
            inner: Inner::Slow {
                head: Some(head),
                tail: Some(tail),
                pause,
                sleep: None,
            },
        }
    }
}

fn len(b: &Option<Bytes>) -> u64 {
    b.as_ref()
        .map_or(0, |b| u64::try_from(b.len()).unwrap_or(u64::MAX))
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BodyAborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyAborted>>> {
        let this = self.get_mut();
        let next = match &mut this.inner {
            Inner::Full(chunk) => chunk.take().map(|b| Ok(Frame::data(b))),
            Inner::Cut {
                chunk,
                declared,
                grace,
            } => match chunk.take() {
                Some(b) => {
                    *declared = declared.saturating_sub(u64::try_from(b.len()).unwrap_or(u64::MAX));
                    Some(Ok(Frame::data(b)))
                }
                None => {
                    let sleep =
                        grace.get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_GRACE)));
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    Some(Err(BodyAborted))
                }
            },
            Inner::Padded {
                head,
                pad_left,
                tail,
                ..
            } => {
                if let Some(b) = head.take() {
                    Some(Ok(Frame::data(b)))
                } else if *pad_left > 0 {
                    let n = usize::try_from(*pad_left)
                        .unwrap_or(PAD_CHUNK)
                        .min(PAD_CHUNK);
                    *pad_left = pad_left.saturating_sub(u64::try_from(n).unwrap_or(0));
                    PAD.get(..n).map(|s| Ok(Frame::data(Bytes::from_static(s))))
                } else {
                    tail.take().map(|b| Ok(Frame::data(b)))
                }
            }
            Inner::Slow {
                head,
                tail,
                pause,
                sleep,
            } => {
                if let Some(b) = head.take() {
                    Some(Ok(Frame::data(b)))
                } else if tail.is_some() {
                    let pause = *pause;
                    let sleep = sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    tail.take().map(|b| Ok(Frame::data(b)))
                } else {
                    None
                }
            }
        };
        Poll::Ready(next)
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Full(chunk) => chunk.is_none(),
            Inner::Cut { .. } => false,
            Inner::Padded {
                head,
                pad_left,
                tail,
                ..
            } => head.is_none() && *pad_left == 0 && tail.is_none(),
            Inner::Slow { head, tail, .. } => head.is_none() && tail.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(chunk) => SizeHint::with_exact(len(chunk)),
            Inner::Cut { declared, .. } => SizeHint::with_exact(*declared),
            Inner::Padded { chunked: true, .. } => SizeHint::default(),
            Inner::Padded {
                head,
                pad_left,
                tail,
                ..
            } => SizeHint::with_exact(
                len(head)
                    .saturating_add(*pad_left)
                    .saturating_add(len(tail)),
            ),
            Inner::Slow { head, tail, .. } => {
                SizeHint::with_exact(len(head).saturating_add(len(tail)))
            }
        }
    }
}

/// A response with `status`, `content_type` and `body`.
pub fn response(
    status: StatusCode,
    content_type: &'static str,
    body: ResponseBody,
) -> Response<ResponseBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// A JSON response from already-serialized bytes.
pub fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response<ResponseBody> {
    response(status, "application/json", ResponseBody::full(bytes))
}

/// A JSON response serializing `value`.
pub fn json<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<ResponseBody> {
    json_bytes(status, to_json_bytes(value))
}

/// `bytes` gzip-compressed, or `None` on the (practically impossible) failure.
pub fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// Serializes `value`; on the (practically impossible) failure, a JSON error object.
pub fn to_json_bytes<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value)
        .unwrap_or_else(|e| format!("{{\"error\":\"serialization failed: {e}\"}}").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn padded_body_has_exact_size() {
        let body = ResponseBody::padded(&b"{\"a\":\""[..], 200_000, &b"\"}"[..], false);
        assert_eq!(body.size_hint().exact(), Some(200_008));
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        assert_eq!(bytes.len(), 200_008);
        assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
        let chunked = ResponseBody::padded(&b"["[..], 3, &b"]"[..], true);
        assert_eq!(chunked.size_hint().exact(), None);
    }

    #[tokio::test]
    async fn cut_body_errors_after_its_chunk() {
        let mut body = ResponseBody::cut(&b"{\"a\""[..], 10);
        assert_eq!(body.size_hint().exact(), Some(10));
        let first = body.frame().await;
        assert!(matches!(first, Some(Ok(_))));
        assert!(matches!(body.frame().await, Some(Err(BodyAborted))));
    }
}
