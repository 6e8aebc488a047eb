//! Why one API request failed, as a kind: the client sorts every failure into
//! an [`ApiError`], the retry loop decides from the kind alone, and
//! [`failure`](crate::cloudflare::failure) words it for the user. Any text
//! that came from the server (bodies, redirect targets, error chains) is
//! cleaned of credentials before it is stored here.

use std::time::Duration;

use reqwest::StatusCode;

use crate::cloudflare::envelope::ShownBody;
use crate::cloudflare::retry;
use crate::cloudflare::secret::Redactor;
use crate::cloudflare::server_text::{self, OTHER_CHARS};

/// How a request without an answer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    /// No answer within `request_timeout`.
    Timeout,
    /// No connection could be opened.
    Connect,
    /// The connection broke before an answer arrived.
    Other,
}

/// Why one request failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
    /// No credentials are configured, so no request was made.
    NoCredentials,
    /// No answer: a timeout, a refused or broken connection.
    Transport {
        /// Which.
        kind: TransportKind,
        /// The error and its causes on one line.
        chain: String,
    },
    /// The server's TLS certificate is not trusted.
    Certificate {
        /// Why, in words.
        reason: String,
    },
    /// A 3xx answer: never followed.
    Redirected {
        /// The status.
        status: StatusCode,
        /// Where it pointed (resolved, shortened), when it said.
        location: Option<String>,
    },
    /// The answer's body stopped part-way.
    Interrupted {
        /// The status.
        status: StatusCode,
        /// Whether `request_timeout` ran out.
        timed_out: bool,
        /// The error and its causes.
        chain: String,
    },
    /// The body is larger than any sensible answer.
    TooLarge {
        /// The status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },
    /// A body that says it is compressed and is not.
    Undecodable {
        /// The status.
        status: StatusCode,
        /// The error and its causes.
        chain: String,
    },
    /// A successful answer whose body is not the JSON envelope.
    NotAnEnvelope {
        /// The status.
        status: StatusCode,
        /// The parser's complaint.
        problem: String,
        /// The body, as messages show it.
        body: ShownBody,
    },
    /// A successful answer whose envelope reports failure.
    Reported {
        /// The status.
        status: StatusCode,
        /// The body, as messages show it (Cloudflare's errors).
        body: ShownBody,
    },
    /// A successful envelope without a result.
    MissingResult {
        /// The status.
        status: StatusCode,
    },
    /// An error status.
    Status {
        /// The status.
        status: StatusCode,
        /// The body, as messages show it.
        body: ShownBody,
    },
    /// Two kinds of reads asked for one URL with different result types.
    ResultTypeMismatch,
    /// No attempt could be made before the read's deadline (see [`Stopped`]).
    OutOfTime,
    /// The bodies of the reads in progress would pass the process's limit.
    OverMemory {
        /// The bytes they would hold with this one.
        in_use: usize,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl ApiError {
    /// Whether another attempt may succeed: no answer, a cut body, or the
    /// answers 408, 409, 429 and 5xx. Everything else fails the same way again.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            ApiError::Transport { .. } | ApiError::Interrupted { .. } => true,
            ApiError::Status { status, .. } => retry::is_retryable(*status),
            _ => false,
        }
    }

    /// Whether Cloudflare answered 429: every read of the process should hold back.
    pub(crate) fn is_rate_limited(&self) -> bool {
        matches!(self, ApiError::Status { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS)
    }

    /// A request that `reqwest` could not complete: an untrusted certificate
    /// (never transient) or a transport failure.
    pub(crate) fn from_send(error: &reqwest::Error, redactor: &Redactor) -> Self {
        if let Some(reason) = certificate_problem(error) {
            return ApiError::Certificate { reason };
        }
        let kind = if error.is_timeout() {
            TransportKind::Timeout
        } else if error.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        ApiError::Transport {
            kind,
            chain: shown_chain(error, redactor),
        }
    }

    /// A body that could not be read to its end: corrupt compression (never
    /// transient) or a broken or slow connection.
    pub(crate) fn from_body(
        error: &reqwest::Error,
        status: StatusCode,
        redactor: &Redactor,
    ) -> Self {
        let chain = shown_chain(error, redactor);
        if is_corrupt_encoding(error) {
            ApiError::Undecodable { status, chain }
        } else {
            ApiError::Interrupted {
                status,
                timed_out: error.is_timeout(),
                chain,
            }
        }
    }
}

/// A request that failed for good: its last error, its path, how many
/// attempts it took over how long, and, when the read's time ran out
/// rather than its retries, why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// The last attempt's error ([`ApiError::OutOfTime`] when none was made).
    pub error: ApiError,
    /// The path under the base URL.
    pub path: String,
    /// Attempts made.
    pub attempts: u32,
    /// Time from the first attempt to giving up.
    pub elapsed: Duration,
    /// Why the read stopped early, when `read_timeout` did not leave room
    /// for the next attempt.
    pub stopped: Option<Stopped>,
}

/// What the next attempt of a read would have waited for, which did not fit
/// into what was left of the read's `read_timeout`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stopped {
    /// What it would have waited for.
    pub reason: StopReason,
    /// How long it would have waited, when known.
    pub wait: Option<Duration>,
    /// What was left of the read's time.
    pub left: Duration,
    /// The read's whole time, `read_timeout`.
    pub limit: Duration,
}

/// What a read would have waited for before its next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The wait the server asked for (`Retry-After`, `Retry-After-Ms`, `X-RateLimit-Reset`).
    ServerAsked,
    /// The provider's own backoff between attempts.
    Backoff,
    /// The pause every read takes after Cloudflare answered 429.
    Paused,
    /// The fixed cap of `rate_limit` requests per second.
    RateLimit,
    /// Cloudflare's request budget, by its rate-limit headers.
    Budget,
}

/// [`error_chain`] as it may be shown: the chain may quote a URL or text a
/// server sent, so it is redacted, cleaned and bounded.
fn shown_chain(error: &reqwest::Error, redactor: &Redactor) -> String {
    server_text::shown(&error_chain(error), OTHER_CHARS, false, redactor)
}

/// An error and its sources on one line, without repeating nested text.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

/// Why the server's certificate was refused, when that is what failed:
/// the certificate error anywhere in `error`'s source chain, in words.
pub(crate) fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    use rustls::CertificateError as C;
    for cause in causes(error) {
        if let Some(rustls::Error::InvalidCertificate(problem)) = cause.downcast_ref() {
            let details = problem.to_string();
            return Some(match problem {
                C::UnknownIssuer => {
                    "it is not signed by a certificate authority this machine trusts".to_string()
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    format!("it is not issued for the host name in base_url ({details})")
                }
                C::Expired | C::ExpiredContext { .. } => format!("it has expired ({details})"),
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    format!("it is not valid yet; check this machine's clock ({details})")
                }
                C::Revoked => "it has been revoked".to_string(),
                _ if details.contains("CaUsedAsEndEntity") => "it is a certificate authority's own certificate presented as the server's (as hand-made self-signed certificates often are), which is not trusted as a server certificate".to_string(),
                _ => format!("it was refused ({details})"),
            });
        }
    }
    None
}

/// Whether a body failed to decompress because it is not what its
/// `Content-Encoding` says, rather than because the connection broke
/// part-way or the body arrived too slowly (which the HTTP client reports
/// as decoding errors too, compressed or not).
fn is_corrupt_encoding(error: &reqwest::Error) -> bool {
    error.is_decode()
        && !error.is_timeout()
        && !causes(error).any(|cause| {
            cause.is::<hyper::Error>()
                || cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        })
}

/// `error` and every error under it. An I/O error's `source()` skips the
/// error it wraps, and TLS and connection errors arrive wrapped in I/O errors
/// (sometimes twice), so those are unwrapped too.
fn causes<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    let mut next = Some(error);
    std::iter::from_fn(move || {
        let current = next?;
        next = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static))
            .or_else(|| current.source());
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> ApiError {
        ApiError::Status {
            status: StatusCode::from_u16(code).expect("status"),
            body: ShownBody::new(b"", None, &Redactor::default()),
        }
    }

    #[test]
    fn retries_follow_the_kind() {
        for code in [408, 409, 429, 500, 502, 503] {
            assert!(status(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404] {
            assert!(!status(code).is_retryable(), "{code}");
        }
        assert!(status(429).is_rate_limited());
        assert!(!status(503).is_rate_limited());
        let transport = ApiError::Transport {
            kind: TransportKind::Connect,
            chain: String::new(),
        };
        assert!(transport.is_retryable());
        for permanent in [
            ApiError::NoCredentials,
            ApiError::Certificate {
                reason: String::new(),
            },
            ApiError::Redirected {
                status: StatusCode::FOUND,
                location: None,
            },
            ApiError::MissingResult {
                status: StatusCode::OK,
            },
            ApiError::TooLarge {
                status: StatusCode::OK,
                limit: 1,
            },
        ] {
            assert!(!permanent.is_retryable(), "{permanent:?}");
        }
    }

    #[test]
    fn chains_do_not_repeat_nested_text() {
        let inner = std::io::Error::other("connection reset");
        let outer = std::io::Error::other(inner);
        assert_eq!(error_chain(&outer), "connection reset");
    }
}
