//! The Cloudflare API client: one connection pool per process, authenticated
//! GETs that are paced by the shared rate limit, retried when the failure is
//! transient, coalesced and reused through the response cache, with bounded
//! (gzip-compressed) response bodies and failures turned into diagnostics that
//! say what to do. Requests go to the configured origin only: redirects are
//! refused, and the credentials are removed from anything a server sends back
//! before it reaches a message or a log line.

use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_ENCODING, LOCATION,
    USER_AGENT,
};
use serde::de::DeserializeOwned;

use crate::cloudflare::api_error::{self, ApiError, Failure, StopReason, Stopped};
use crate::cloudflare::base_url;
use crate::cloudflare::cache::ResponseCache;
use crate::cloudflare::config::Settings;
use crate::cloudflare::credentials::Credentials;
use crate::cloudflare::envelope::{self, ResultInfo, ShownBody};
pub use crate::cloudflare::failure::RequestContext;
use crate::cloudflare::failure::{self, Origin};
use crate::cloudflare::memory::{BodyHold, MemoryBudget, MAX_PROCESS_BYTES};
pub use crate::cloudflare::reading::Reading;
use crate::cloudflare::retry;
use crate::cloudflare::secret::Redactor;
use crate::cloudflare::server_text::{self, OTHER_CHARS};
use crate::cloudflare::throttle::{Throttle, Ticket, WaitFor, Waited};
use crate::plugin::AttributePath;
use crate::plugin::{Diagnostic, Diagnostics};

/// Largest response body read before giving up: a thousand times a page of
/// fifty connectors.
pub(crate) const MAX_BODY_BYTES: usize = 4 << 20;
/// Longest time allowed to open a connection (shorter when `request_timeout` is).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A read that waited longer than this for the API budget tells the user why,
/// with a warning on the read.
pub(crate) const WARN_WAIT: Duration = Duration::from_secs(30);
/// How long an idle pooled connection is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// TCP keep-alive probes on pooled connections, so dead ones are noticed.
const TCP_KEEPALIVE: Duration = Duration::from_secs(30);

/// Characters escaped in a path segment (everything but unreserved characters and a few safe ones).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// Characters escaped in query keys and values (all but letters, digits and `-._~`).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A successful response: the payload and, for lists, pagination.
#[derive(Debug, Clone)]
pub struct ApiResponse<T> {
    /// The envelope's `result`.
    pub result: T,
    /// The envelope's `result_info`.
    pub result_info: Option<ResultInfo>,
    /// How long the request waited for the API budget before it could go.
    pub waited: Waited,
    /// The size of the body it came from, in bytes.
    pub size: usize,
}

/// How one attempt failed, with the wait the server asked for before another.
struct Attempted {
    error: ApiError,
    server_wait: Option<Duration>,
}

impl From<ApiError> for Attempted {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            server_wait: None,
        }
    }
}

/// Why a body could not be read.
enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The connection failed or timed out part-way.
    Read(reqwest::Error),
    /// The bodies all reads hold would pass the process's limit: the bytes.
    Memory(usize),
}

/// The shared API client.
pub struct ApiClient {
    http: reqwest::Client,
    settings: Settings,
    auth_headers: Option<HeaderMap>,
    redactor: Redactor,
    throttle: Throttle,
    cache: ResponseCache,
    memory: MemoryBudget,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.settings.shown_base_url)
            .field("credentials", &self.settings.credentials.mode())
            .field("max_retries", &self.settings.max_retries)
            .field("request_timeout", &self.settings.request_timeout)
            .field("rate_limit", &self.settings.rate_limit)
            .finish()
    }
}

impl ApiClient {
    /// Builds the client (its connection pool, rate limiter and response cache)
    /// once per configured provider process.
    pub fn new(settings: Settings) -> Result<Self, Diagnostic> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let user_agent = HeaderValue::from_str(&settings.user_agent).map_err(|_| {
            Diagnostic::error(
                "Invalid user_agent_operator_suffix",
                "The User-Agent suffix contains characters that cannot be sent in an HTTP header. Use printable ASCII only.",
            )
            .at(AttributePath::attribute("user_agent_operator_suffix"))
        })?;
        headers.insert(USER_AGENT, user_agent);
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT.min(settings.request_timeout))
            .timeout(settings.request_timeout)
            .tcp_nodelay(true)
            .tcp_keepalive(TCP_KEEPALIVE)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .gzip(true)
            .deflate(true)
            .no_proxy();
        if let Some(proxy) = &settings.proxy {
            let route = reqwest::Proxy::all(&proxy.url).map_err(|e| {
                Diagnostic::error(
                    "Invalid proxy",
                    format!(
                        "{} names the proxy {}, which cannot be used ({}). Correct or unset {}.",
                        proxy.variable,
                        proxy.shown(),
                        api_error::error_chain(&e),
                        proxy.variable
                    ),
                )
            })?;
            builder = builder.proxy(route);
        }
        let http = builder.build().map_err(|e| {
            Diagnostic::error(
                "Could not create the HTTP client",
                format!("The provider could not set up its HTTPS client: {e}. This is unexpected; please report it."),
            )
        })?;
        Ok(Self {
            http,
            throttle: Throttle::new(settings.rate_limit),
            cache: ResponseCache::new(),
            memory: MemoryBudget::default(),
            auth_headers: auth_headers(&settings.credentials)?,
            redactor: redactor(&settings),
            settings,
        })
    }

    /// The URL for path segments under the base URL, each segment percent-encoded.
    pub fn url(&self, segments: &[&str]) -> String {
        format!("{}{}", self.settings.base_url, display_path(segments, &[]))
    }

    /// A new read: what it keeps of the API's answers and the warnings it
    /// meets (see [`get`](Self::get)).
    pub(crate) fn reading(&self) -> Reading {
        Reading::new(self.memory.read())
    }

    /// GETs an object; returns the envelope's result or diagnostics that explain the failure.
    ///
    /// Identical GETs in flight at once share one request, and a success is
    /// reused for the rest of the process; failures are not kept. The
    /// answer's size counts against what the read holds, and a long wait
    /// for the request budget becomes a warning of the read.
    pub(crate) async fn get<T>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        context: &RequestContext,
        reading: &mut Reading,
    ) -> Result<ApiResponse<T>, Diagnostics>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let started = Instant::now();
        let path = display_path(segments, query);
        let url = format!("{}{path}", self.settings.base_url);
        let mismatch = || Failure {
            error: ApiError::ResultTypeMismatch,
            path: path.clone(),
            attempts: 0,
            elapsed: Duration::ZERO,
            stopped: None,
        };
        let response = self
            .cache
            .get_or_fetch(url.clone(), self.fetch(url, path.clone()), mismatch)
            .await
            .map_err(|failure| {
                let origin = Origin {
                    base_url: &self.settings.shown_base_url,
                    credentials: &self.settings.credentials,
                };
                Diagnostics::from(self.redacted(failure::diagnostic(&failure, context, origin)))
            })?;
        reading.memory().add(response.size, &context.what)?;
        // A reused result carries the wait of the request that fetched it:
        // this read waited for it only as long as it waited at all.
        let waited = response.waited.duration.min(started.elapsed());
        if waited > WARN_WAIT {
            reading.warn(failure::budget_wait(
                waited,
                response.waited.at_start.as_ref(),
                context,
            ));
        }
        Ok(response)
    }

    /// `diagnostic` with the credentials redacted from its summary and detail:
    /// the last guard, after every piece of server text in it was redacted
    /// where it was read.
    fn redacted(&self, diagnostic: Diagnostic) -> Diagnostic {
        Diagnostic {
            summary: self.redactor.text(&diagnostic.summary).into_owned(),
            detail: self.redactor.text(&diagnostic.detail).into_owned(),
            ..diagnostic
        }
    }

    /// Makes attempts until one succeeds, one fails for good, retries run
    /// out, or the next attempt could not be made within `read_timeout`
    /// (counted from the first attempt, covering every wait): a wait that
    /// would pass it is not begun.
    async fn fetch<T: DeserializeOwned>(
        &self,
        url: String,
        path: String,
    ) -> Result<(ApiResponse<T>, usize), Failure> {
        let started = Instant::now();
        let limit = self.settings.read_timeout;
        let deadline = tokio::time::Instant::now() + limit;
        let attempts = self.settings.max_retries.saturating_add(1);
        let mut attempt = 0_u32;
        let mut waited = Waited::default();
        let mut last = None;
        let failure = |error: ApiError, attempts: u32, stopped: Option<Stopped>| Failure {
            error,
            path: path.clone(),
            attempts,
            elapsed: started.elapsed(),
            stopped,
        };
        loop {
            let (ticket, wait) = match self.throttle.ready(deadline).await {
                Ok(ready) => ready,
                Err(too_long) => {
                    let stopped = Stopped {
                        reason: match too_long.reason {
                            WaitFor::Pause => StopReason::Paused,
                            WaitFor::Cap => StopReason::RateLimit,
                            WaitFor::Budget => StopReason::Budget,
                        },
                        wait: too_long.needed,
                        left: deadline.saturating_duration_since(tokio::time::Instant::now()),
                        limit,
                    };
                    let error = last.take().unwrap_or(ApiError::OutOfTime);
                    return Err(failure(error, attempt, Some(stopped)));
                }
            };
            attempt += 1;
            waited.add(wait);
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let timeout = self.settings.request_timeout.min(left);
            let failed = match self.attempt(&url, &path, attempt, ticket, timeout).await {
                Ok((response, size)) => return Ok((ApiResponse { waited, ..response }, size)),
                Err(failed) => failed,
            };
            if !failed.error.is_retryable() || attempt >= attempts {
                return Err(failure(failed.error, attempt, None));
            }
            let wait = failed
                .server_wait
                .unwrap_or_else(|| retry::backoff(attempt));
            if failed.error.is_rate_limited() {
                self.throttle.pause_for(wait.min(limit));
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if wait > left {
                let stopped = Stopped {
                    reason: if failed.server_wait.is_some() {
                        StopReason::ServerAsked
                    } else {
                        StopReason::Backoff
                    },
                    wait: Some(wait),
                    left,
                    limit,
                };
                tracing::debug!(
                    method = "GET",
                    path = %path,
                    attempt,
                    wait_ms = millis(wait),
                    left_ms = millis(left),
                    reason = ?failed.error,
                    "Cloudflare API request not retried: the wait would pass read_timeout"
                );
                return Err(failure(failed.error, attempt, Some(stopped)));
            }
            tracing::debug!(
                method = "GET",
                path = %path,
                attempt,
                wait_ms = millis(wait),
                server_asked = failed.server_wait.is_some(),
                reason = ?failed.error,
                "Cloudflare API request will be retried"
            );
            last = Some(failed.error);
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: send, read the body within the cap, classify the answer.
    async fn attempt<T: DeserializeOwned>(
        &self,
        url: &str,
        path: &str,
        attempt: u32,
        ticket: Ticket<'_>,
        timeout: Duration,
    ) -> Result<(ApiResponse<T>, usize), Attempted> {
        let started = Instant::now();
        let Some(credentials) = &self.auth_headers else {
            return Err(ApiError::NoCredentials.into());
        };
        let request = self
            .http
            .get(url)
            .headers(credentials.clone())
            .timeout(timeout);
        let response = match request.send().await {
            Ok(response) => {
                ticket.answered(response.headers());
                response
            }
            Err(e) => {
                let error = ApiError::from_send(&e, &self.redactor);
                tracing::debug!(
                    method = "GET",
                    path = %path,
                    attempt,
                    duration_ms = millis(started.elapsed()),
                    error = ?error,
                    "Cloudflare API call failed"
                );
                return Err(error.into());
            }
        };
        let status = response.status();
        if is_redirect(status) {
            let location = redirect_target(url, response.headers())
                .map(|target| server_text::shown(&target, REDIRECT_CHARS, false, &self.redactor));
            return Err(ApiError::Redirected { status, location }.into());
        }
        let server_wait = retry::server_wait(status, response.headers(), SystemTime::now());
        let undecoded = response
            .headers()
            .get(CONTENT_ENCODING)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .filter(|v| !v.trim().eq_ignore_ascii_case("identity"));
        let mut hold = self.memory.body();
        let body = read_capped(response, &mut hold).await;
        tracing::debug!(
            method = "GET",
            path = %path,
            status = status.as_u16(),
            attempt,
            duration_ms = millis(started.elapsed()),
            "Cloudflare API call"
        );
        let body = match body {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Err(ApiError::TooLarge {
                    status,
                    limit: MAX_BODY_BYTES,
                }
                .into())
            }
            Err(BodyError::Memory(in_use)) => {
                return Err(ApiError::OverMemory {
                    in_use,
                    limit: MAX_PROCESS_BYTES,
                }
                .into())
            }
            Err(BodyError::Read(e)) => {
                return Err(Attempted {
                    error: ApiError::from_body(&e, status, &self.redactor),
                    server_wait,
                })
            }
        };
        let shown = || ShownBody::new(&body, undecoded.as_deref(), &self.redactor);
        tracing::trace!(path = %path, body = %shown().excerpt, "Cloudflare API response body");
        if !status.is_success() {
            return Err(Attempted {
                error: ApiError::Status {
                    status,
                    body: shown(),
                },
                server_wait,
            });
        }
        parse(&body).map_err(|e| {
            let error = match e {
                ParseFailure::NotAnEnvelope(e) => ApiError::NotAnEnvelope {
                    status,
                    problem: server_text::shown(&e.to_string(), OTHER_CHARS, false, &self.redactor),
                    body: shown(),
                },
                ParseFailure::ReportedFailure => ApiError::Reported {
                    status,
                    body: shown(),
                },
                ParseFailure::MissingResult => ApiError::MissingResult { status },
            };
            error.into()
        })
    }
}

/// The redactor for everything servers send back: the credentials and
/// whatever in `base_url` may be a secret.
fn redactor(settings: &Settings) -> Redactor {
    let url_secrets = base_url::secrets(&settings.base_url);
    let values = settings.credentials.values();
    Redactor::new(
        values
            .into_iter()
            .chain(url_secrets.iter().map(String::as_str)),
    )
}

/// The headers that carry `credentials`, built once and marked sensitive;
/// `None` when there are none. A value no header can carry is refused here,
/// when the provider is configured, so no request is ever built with it.
fn auth_headers(credentials: &Credentials) -> Result<Option<HeaderMap>, Diagnostic> {
    let pairs: Vec<(HeaderName, String)> = match credentials {
        Credentials::Token(token) => vec![(AUTHORIZATION, format!("Bearer {}", token.expose()))],
        Credentials::KeyAndEmail { key, email } => vec![
            (
                HeaderName::from_static("x-auth-key"),
                key.expose().to_string(),
            ),
            (HeaderName::from_static("x-auth-email"), email.clone()),
        ],
        Credentials::UserServiceKey(key) => vec![(
            HeaderName::from_static("x-auth-user-service-key"),
            key.expose().to_string(),
        )],
        Credentials::Missing => return Ok(None),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Diagnostic::error(
                "Invalid credential",
                format!(
                    "The {} credential contains characters that cannot be sent in an HTTP header. Check it for stray characters such as a trailing newline.",
                    credentials.mode()
                ),
            )
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(Some(headers))
}

/// Why a successful answer's body gave no result.
enum ParseFailure {
    /// Not the JSON envelope.
    NotAnEnvelope(serde_json::Error),
    /// An envelope that says `success` is not true.
    ReportedFailure,
    /// A successful envelope without `result`.
    MissingResult,
}

/// Reads a successful answer's envelope; its result and the body size, or why not.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<(ApiResponse<T>, usize), ParseFailure> {
    let parsed: envelope::Envelope<T> =
        envelope::parse(body).map_err(ParseFailure::NotAnEnvelope)?;
    if parsed.success != Some(true) {
        return Err(ParseFailure::ReportedFailure);
    }
    let result = parsed.result.ok_or(ParseFailure::MissingResult)?;
    Ok((
        ApiResponse {
            result,
            result_info: parsed.result_info,
            waited: Waited::default(),
            size: body.len(),
        },
        body.len(),
    ))
}

/// Whether `status` sends the client elsewhere (other 3xx answers, such as
/// 304 Not Modified, are unexpected answers, not redirects).
fn is_redirect(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Longest redirect target shown, in characters.
const REDIRECT_CHARS: usize = 200;

/// Where a redirect pointed, resolved against the request URL, without any
/// user name or password (cut short and cleaned by the caller).
fn redirect_target(request_url: &str, headers: &HeaderMap) -> Option<String> {
    let location = headers.get(LOCATION)?;
    let location = String::from_utf8_lossy(location.as_bytes());
    let target = reqwest::Url::parse(request_url)
        .and_then(|base| base.join(&location))
        .map(|mut url| {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        })
        .unwrap_or_else(|_| location.into_owned());
    Some(target)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The path under the base URL, segments and query percent-encoded.
fn display_path(segments: &[&str], query: &[(&str, String)]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    for (index, (key, value)) in query.iter().enumerate() {
        path.push(if index == 0 { '?' } else { '&' });
        path.extend(utf8_percent_encode(key, QUERY));
        path.push('=');
        path.extend(utf8_percent_encode(value, QUERY));
    }
    path
}

/// The body, at most [`MAX_BODY_BYTES`], each chunk held in `hold` as it arrives.
async fn read_capped(
    mut response: reqwest::Response,
    hold: &mut BodyHold,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(BodyError::TooLarge);
                }
                hold.grow(chunk.len()).map_err(BodyError::Memory)?;
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(BodyError::Read(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::*;
    use crate::cloudflare::secret::Secret;

    /// A deadline no test reaches.
    fn far() -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_secs(86_400)
    }

    fn client() -> ApiClient {
        ApiClient::new(Settings::new(
            Credentials::Token(Secret::new("t")),
            "https://api.example.test/client/v4",
        ))
        .expect("client")
    }

    /// Answers one request on 127.0.0.1 with `response` (raw HTTP); the base URL.
    async fn answering(response: String) -> String {
        answering_in_two(response, Duration::ZERO, "").await
    }

    /// Answers one request on 127.0.0.1 with `head`, then, after `pause`,
    /// with `rest` (raw HTTP); the base URL.
    async fn answering_in_two(head: String, pause: Duration, rest: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            if let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0_u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(head.as_bytes()).await;
                tokio::time::sleep(pause).await;
                let _ = stream.write_all(rest.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        format!("http://127.0.0.1:{port}/client/v4")
    }

    /// One attempt against a server answering `response`: how it ended.
    async fn attempt_against(response: String) -> Result<ApiResponse<serde_json::Value>, ApiError> {
        let base = answering(response).await;
        let mut settings = Settings::new(Credentials::Token(Secret::new("token-value")), base);
        settings.request_timeout = Duration::from_secs(5);
        let client = ApiClient::new(settings).expect("client");
        let url = client.url(&["accounts", "a"]);
        let (ticket, _) = client.throttle.ready(far()).await.expect("ready");
        client
            .attempt(&url, "/accounts/a", 1, ticket, Duration::from_secs(5))
            .await
            .map(|(response, _)| response)
            .map_err(|failed| failed.error)
    }

    fn answer(status_line: &str, headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status_line}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    #[tokio::test]
    async fn every_answer_is_sorted_into_its_kind() {
        let ok = attempt_against(answer(
            "200 OK",
            "",
            r#"{"success":true,"errors":[],"result":{"a":1}}"#,
        ))
        .await;
        assert_eq!(ok.expect("success").result["a"], 1);

        let redirected = attempt_against(answer(
            "302 Found",
            "Location: http://elsewhere.test/x?t=token-value\r\n",
            "",
        ))
        .await;
        assert_eq!(
            redirected.unwrap_err(),
            ApiError::Redirected {
                status: StatusCode::FOUND,
                location: Some("http://elsewhere.test/x?t=[REDACTED]".into())
            }
        );

        match attempt_against(answer(
            "429 Too Many Requests",
            "Retry-After: 1\r\n",
            r#"{"success":false,"errors":[{"code":971,"message":"slow down"}]}"#,
        ))
        .await
        {
            Err(error) => {
                assert!(error.is_rate_limited() && error.is_retryable(), "{error:?}");
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        match attempt_against(answer(
            "404 Not Found",
            "",
            r#"{"success":false,"errors":[{"code":7003,"message":"no route"}]}"#,
        ))
        .await
        {
            Err(ApiError::Status { status, body }) => {
                assert_eq!(status, StatusCode::NOT_FOUND);
                assert_eq!(body.errors[0].code, Some(7003));
            }
            other => panic!("expected a 404, got {other:?}"),
        }
        assert!(matches!(
            attempt_against(answer("200 OK", "", "<html>proxy</html>")).await,
            Err(ApiError::NotAnEnvelope { .. })
        ));
        assert!(matches!(
            attempt_against(answer(
                "200 OK",
                "",
                r#"{"success":false,"errors":[{"code":1,"message":"no"}]}"#
            ))
            .await,
            Err(ApiError::Reported { .. })
        ));
        assert!(matches!(
            attempt_against(answer("200 OK", "", r#"{"success":true,"errors":[]}"#)).await,
            Err(ApiError::MissingResult { .. })
        ));
        assert!(matches!(
            attempt_against(answer("200 OK", "Content-Encoding: gzip\r\n", "not gzip")).await,
            Err(ApiError::Undecodable { .. })
        ));
    }

    /// One attempt against `base` with `timeout`, which must fail in a way
    /// worth retrying: its error.
    async fn retryable_failure(base: String, timeout: Duration) -> ApiError {
        let client = ApiClient::new(Settings::new(
            Credentials::Token(Secret::new("token-value")),
            base,
        ))
        .expect("client");
        let url = client.url(&["x"]);
        let (ticket, _) = client.throttle.ready(far()).await.expect("ready");
        let error = client
            .attempt::<serde_json::Value>(&url, "/x", 1, ticket, timeout)
            .await
            .map(|_| ())
            .unwrap_err()
            .error;
        assert!(error.is_retryable(), "{error:?}");
        error
    }

    #[tokio::test]
    async fn a_body_that_arrives_too_slowly_is_a_timeout_worth_retrying() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"success\":";
        let base = answering_in_two(head.to_string(), Duration::from_secs(5), "true}").await;
        let error = retryable_failure(base, Duration::from_millis(500)).await;
        let ApiError::Interrupted {
            timed_out: true, ..
        } = error
        else {
            panic!("not a timeout: {error:?}");
        };
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_error_worth_retrying() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let error = retryable_failure(
            format!("http://127.0.0.1:{port}/client/v4"),
            Duration::from_secs(5),
        )
        .await;
        let ApiError::Transport {
            kind: api_error::TransportKind::Connect,
            ..
        } = error
        else {
            panic!("not a refused connection: {error:?}");
        };
        let none = ApiClient::new(Settings::new(Credentials::Missing, "http://127.0.0.1:9"))
            .expect("client");
        let (ticket, _) = none.throttle.ready(far()).await.expect("ready");
        let missing = none
            .attempt::<serde_json::Value>(
                "http://127.0.0.1:9/x",
                "/x",
                1,
                ticket,
                Duration::from_secs(5),
            )
            .await
            .map(|_| ())
            .unwrap_err()
            .error;
        assert_eq!(missing, ApiError::NoCredentials);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(
            client().url(&["accounts", "a/b?c#d e", "x"]),
            "https://api.example.test/client/v4/accounts/a%2Fb%3Fc%23d%20e/x"
        );
    }

    #[test]
    fn query_parameters_are_encoded_in_order() {
        assert_eq!(
            display_path(
                &["l"],
                &[("page", "2".to_string()), ("q", "a&b=c d".to_string())]
            ),
            "/l?page=2&q=a%26b%3Dc%20d"
        );
    }

    #[test]
    fn credentials_no_header_can_carry_are_refused_when_the_client_is_built() {
        for credentials in [
            Credentials::Token(Secret::new("tok\n")),
            Credentials::KeyAndEmail {
                key: Secret::new("key"),
                email: "a@b.c\r\nX-Injected: 1".to_string(),
            },
        ] {
            let err = ApiClient::new(Settings::new(credentials, "https://x.test")).unwrap_err();
            assert_eq!(err.summary, "Invalid credential");
        }
        let headers = auth_headers(&Credentials::Token(Secret::new("tok")))
            .expect("headers")
            .expect("some");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert_eq!(headers[AUTHORIZATION], "Bearer tok");
    }

    #[test]
    fn redirect_targets_are_resolved_without_user_info_and_cut_short() {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_static("/elsewhere?x=1"));
        assert_eq!(
            redirect_target("http://127.0.0.1:9/client/v4/a", &headers).as_deref(),
            Some("http://127.0.0.1:9/elsewhere?x=1")
        );
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://user:pw@evil.example/x"),
        );
        assert_eq!(
            redirect_target("http://a.test/", &headers).as_deref(),
            Some("https://evil.example/x")
        );
        let long = format!("https://evil.example/{}", "x".repeat(1000));
        headers.insert(LOCATION, HeaderValue::from_str(&long).expect("header"));
        let target = redirect_target("http://a.test/", &headers).expect("target");
        let shown = server_text::shown(&target, REDIRECT_CHARS, false, &Redactor::default());
        assert!(shown.chars().count() <= 201, "{shown}");
        assert_eq!(redirect_target("http://a.test/", &HeaderMap::new()), None);
    }

    #[test]
    fn an_unsendable_user_agent_points_at_the_suffix() {
        let mut settings = Settings::new(Credentials::Missing, "https://x.test");
        settings.user_agent = "bad\nagent".to_string();
        let err = ApiClient::new(settings).unwrap_err();
        assert_eq!(
            err.attribute,
            Some(AttributePath::attribute("user_agent_operator_suffix"))
        );
    }
}
