//! The Cloudflare API client: one connection pool per process, authenticated
//! GETs that are paced by the shared rate limit, retried when the failure is
//! transient, coalesced and reused through the response cache, with bounded
//! response bodies and failures turned into diagnostics that say what to do.

use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::cloudflare::cache::ResponseCache;
use crate::cloudflare::config::{Credentials, Settings, ENV_API_TOKEN};
use crate::cloudflare::envelope::{self, ResultInfo};
use crate::cloudflare::failure;
use crate::cloudflare::ratelimit::Throttle;
use crate::cloudflare::retry;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::path::AttributePath;

/// Largest response body read before giving up.
pub const MAX_BODY_BYTES: usize = 10 << 20;
/// Longest time allowed to open a connection (shorter when `request_timeout` is).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
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

/// What a request is about, so failures can be explained in the user's terms.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The object read, e.g. `SSO connector "…" in account "…"`.
    pub what: String,
    /// The API token permission the endpoint needs, e.g. `SSO Connector Read`.
    pub permission: &'static str,
    /// True when the endpoint accepts API tokens only.
    pub tokens_only: bool,
    /// What to tell the user on 404.
    pub not_found: String,
    /// The configuration attribute a 404 points at.
    pub not_found_attribute: Option<AttributePath>,
}

/// A successful response: the payload and, for lists, pagination.
#[derive(Debug, Clone)]
pub struct ApiResponse<T> {
    /// The envelope's `result`.
    pub result: T,
    /// The envelope's `result_info`.
    pub result_info: Option<ResultInfo>,
}

/// How one attempt ended.
enum Outcome<T> {
    /// Finished: a result with its body size, or a failure retrying cannot fix.
    Done(Result<(ApiResponse<T>, usize), Diagnostic>),
    /// Failed in a way that may pass: connection trouble, timeout, 408/409/429/5xx.
    Retry {
        /// The failure, as reported if no attempt is left.
        failure: Diagnostic,
        /// The wait the server asked for, when honoured.
        server_wait: Option<Duration>,
        /// True on 429: every read in the process should hold back.
        rate_limited: bool,
    },
}

/// Why a body could not be read.
enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The connection failed or timed out part-way.
    Read(reqwest::Error),
}

/// The shared API client.
pub struct ApiClient {
    http: reqwest::Client,
    settings: Settings,
    throttle: Throttle,
    cache: ResponseCache,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.settings.base_url)
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
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT.min(settings.request_timeout))
            .timeout(settings.request_timeout)
            .tcp_nodelay(true)
            .tcp_keepalive(TCP_KEEPALIVE)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()
            .map_err(|e| {
                Diagnostic::error(
                    "Could not create the HTTP client",
                    format!("The provider could not set up its HTTPS client: {e}. This is unexpected; please report it."),
                )
            })?;
        Ok(Self {
            http,
            throttle: Throttle::new(settings.rate_limit),
            cache: ResponseCache::new(),
            settings,
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The URL for path segments under the base URL, each segment percent-encoded.
    pub fn url(&self, segments: &[&str]) -> String {
        format!("{}{}", self.settings.base_url, display_path(segments, &[]))
    }

    /// GETs an object; returns the envelope's result or diagnostics that explain the failure.
    ///
    /// Identical GETs in flight at once share one request, and a success is
    /// reused for the rest of the process; failures are not kept.
    pub async fn get<T>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        context: &RequestContext,
    ) -> Result<ApiResponse<T>, Diagnostics>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let path = display_path(segments, query);
        let url = format!("{}{path}", self.settings.base_url);
        self.cache
            .get_or_fetch(url.clone(), self.fetch(url, path, context))
            .await
    }

    /// Makes attempts until one succeeds, one fails for good, or retries run out.
    async fn fetch<T: DeserializeOwned>(
        &self,
        url: String,
        path: String,
        context: &RequestContext,
    ) -> Result<(ApiResponse<T>, usize), Diagnostics> {
        let started = Instant::now();
        let attempts = self.settings.max_retries.saturating_add(1);
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            self.throttle.ready().await;
            match self.attempt(&url, &path, context, attempt).await {
                Outcome::Done(result) => return result.map_err(Diagnostics::from),
                Outcome::Retry {
                    failure,
                    server_wait,
                    rate_limited,
                } => {
                    if attempt >= attempts {
                        return Err(failure::exhausted(failure, attempt, started.elapsed()).into());
                    }
                    let wait = server_wait.unwrap_or_else(|| retry::backoff(attempt));
                    if rate_limited {
                        self.throttle.pause_for(wait);
                    }
                    tracing::debug!(
                        method = "GET",
                        path = %path,
                        attempt,
                        wait_ms = millis(wait),
                        server_asked = server_wait.is_some(),
                        reason = %failure.summary,
                        "Cloudflare API request will be retried"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One attempt: send, read the body within the cap, classify the answer.
    async fn attempt<T: DeserializeOwned>(
        &self,
        url: &str,
        path: &str,
        context: &RequestContext,
        attempt: u32,
    ) -> Outcome<T> {
        let started = Instant::now();
        let request = match self.authorize(self.http.get(url), context) {
            Ok(request) => request,
            Err(diag) => return Outcome::Done(Err(diag)),
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                tracing::debug!(
                    method = "GET",
                    path = %path,
                    attempt,
                    duration_ms = millis(started.elapsed()),
                    error = %failure::error_chain(&e),
                    "Cloudflare API call failed"
                );
                return Outcome::Retry {
                    failure: failure::transport(&e, path, &self.settings.base_url, context),
                    server_wait: None,
                    rate_limited: false,
                };
            }
        };
        let status = response.status();
        let server_wait = retry::server_wait(status, response.headers(), SystemTime::now());
        let body = read_capped(response).await;
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
                return Outcome::Done(Err(failure::too_large(path, status)))
            }
            Err(BodyError::Read(e)) => {
                return Outcome::Retry {
                    failure: failure::interrupted(&e, status, path, context),
                    server_wait,
                    rate_limited: false,
                }
            }
        };
        tracing::trace!(path = %path, body = %envelope::excerpt(&body), "Cloudflare API response body");
        if !status.is_success() {
            let diag = failure::status(status, &body, path, context, &self.settings.credentials);
            return if retry::is_retryable(status) {
                Outcome::Retry {
                    failure: diag,
                    server_wait,
                    rate_limited: status == StatusCode::TOO_MANY_REQUESTS,
                }
            } else {
                Outcome::Done(Err(diag))
            };
        }
        Outcome::Done(parse(&body, status, path, context))
    }

    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        context: &RequestContext,
    ) -> Result<reqwest::RequestBuilder, Diagnostic> {
        match &self.settings.credentials {
            Credentials::Token(token) => Ok(request.bearer_auth(token.expose())),
            Credentials::KeyAndEmail { key, email } => Ok(request
                .header("X-Auth-Key", sensitive_header(key.expose())?)
                .header("X-Auth-Email", email.as_str())),
            Credentials::UserServiceKey(key) => Ok(request.header("X-Auth-User-Service-Key", sensitive_header(key.expose())?)),
            Credentials::Missing => Err(Diagnostic::error(
                "No Cloudflare credentials",
                format!(
                    "Reading {} needs an API token with the \"{}\" permission. Set api_token in the provider \"cloudflare\" block, or the {ENV_API_TOKEN} environment variable.",
                    context.what, context.permission
                ),
            )),
        }
    }
}

/// Reads a successful answer's envelope; its result and the body size, or why not.
fn parse<T: DeserializeOwned>(
    body: &[u8],
    status: StatusCode,
    path: &str,
    context: &RequestContext,
) -> Result<(ApiResponse<T>, usize), Diagnostic> {
    let parsed: envelope::Envelope<T> =
        envelope::parse(body).map_err(|e| failure::not_an_envelope(path, status, body, &e))?;
    if parsed.success != Some(true) {
        let errors = parsed.errors.unwrap_or_default();
        return Err(failure::reported_failure(path, status, &errors, context));
    }
    match parsed.result {
        Some(result) => Ok((
            ApiResponse {
                result,
                result_info: parsed.result_info,
            },
            body.len(),
        )),
        None => Err(failure::missing_result(path, status)),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn sensitive_header(value: &str) -> Result<HeaderValue, Diagnostic> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        Diagnostic::error(
            "Invalid credential",
            "The configured credential contains characters that cannot be sent in an HTTP header. Check it for stray characters.",
        )
    })?;
    header.set_sensitive(true);
    Ok(header)
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

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
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
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(BodyError::Read(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::secret::Secret;

    fn client() -> ApiClient {
        ApiClient::new(Settings::new(
            Credentials::Token(Secret::new("t")),
            "https://api.example.test/client/v4",
        ))
        .expect("client")
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
