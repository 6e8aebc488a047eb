//! The Cloudflare API client: one connection pool per process, authenticated
//! requests, bounded response bodies, and failures turned into diagnostics
//! that say what to do.

use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::cloudflare::config::{Credentials, Settings, ENV_API_TOKEN};
use crate::cloudflare::envelope::{self, ApiMessage, ResultInfo};
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::path::AttributePath;

/// Largest response body read before giving up.
pub const MAX_BODY_BYTES: usize = 10 << 20;
/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one request, from sending to the end of the body.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

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
#[derive(Debug)]
pub struct ApiResponse<T> {
    /// The envelope's `result`.
    pub result: T,
    /// The envelope's `result_info`.
    pub result_info: Option<ResultInfo>,
}

/// The shared API client.
pub struct ApiClient {
    http: reqwest::Client,
    settings: Settings,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.settings.base_url)
            .field("credentials", &self.settings.credentials.mode())
            .finish()
    }
}

impl ApiClient {
    /// Builds the client (and its connection pool) once per provider process.
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
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| {
                Diagnostic::error(
                    "Could not create the HTTP client",
                    format!("The provider could not set up its HTTPS client: {e}. This is unexpected; please report it."),
                )
            })?;
        Ok(Self { http, settings })
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The URL for path segments under the base URL, each segment percent-encoded.
    pub fn url(&self, segments: &[&str]) -> String {
        let mut url = self.settings.base_url.clone();
        for segment in segments {
            url.push('/');
            url.extend(utf8_percent_encode(segment, SEGMENT));
        }
        url
    }

    /// GETs an object; returns the envelope's result or diagnostics that explain the failure.
    pub async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        context: &RequestContext,
    ) -> Result<ApiResponse<T>, Diagnostics> {
        let url = self.url(segments);
        let path = display_path(segments);
        let request = self.authorize(self.http.get(&url).query(query), context)?;
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| transport_failure(&e, &path, &self.settings.base_url, context))?;
        let status = response.status();
        let body = read_capped(response, &path, context).await?;
        tracing::debug!(
            method = "GET",
            path = %path,
            status = status.as_u16(),
            attempt = 1,
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Cloudflare API call"
        );
        tracing::trace!(path = %path, body = %envelope::excerpt(&body), "Cloudflare API response body");
        if !status.is_success() {
            return Err(status_failure(
                status,
                &body,
                &path,
                context,
                &self.settings.credentials,
            ));
        }
        let parsed: envelope::Envelope<T> = envelope::parse(&body).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Unexpected response from the Cloudflare API",
                format!(
                    "GET {path} answered {status} but the body is not the expected JSON ({e}). The start of the body was:\n{}\nIf base_url points at a proxy, check that it forwards the API unchanged; otherwise retry later.",
                    envelope::excerpt(&body)
                ),
            ))
        })?;
        if parsed.success != Some(true) {
            let errors = parsed.errors.unwrap_or_default();
            return Err(Diagnostic::error(
                format!("Cloudflare could not read {}", context.what),
                format!(
                    "GET {path} answered {status} but reported failure: {}. Check the identifiers and the token's permissions ({}), then retry.",
                    describe_errors(&errors),
                    context.permission
                ),
            )
            .into());
        }
        match parsed.result {
            Some(result) => Ok(ApiResponse {
                result,
                result_info: parsed.result_info,
            }),
            None => Err(Diagnostic::error(
                "Unexpected response from the Cloudflare API",
                format!("GET {path} answered {status} with success but no result. Retry later; if it persists, report it to Cloudflare."),
            )
            .into()),
        }
    }

    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        context: &RequestContext,
    ) -> Result<reqwest::RequestBuilder, Diagnostics> {
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
            )
            .into()),
        }
    }
}

fn sensitive_header(value: &str) -> Result<HeaderValue, Diagnostics> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        Diagnostics::from(Diagnostic::error(
            "Invalid credential",
            "The configured credential contains characters that cannot be sent in an HTTP header. Check it for stray characters.",
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

fn display_path(segments: &[&str]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    path
}

fn describe_errors(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        "no error details".to_string()
    } else {
        errors
            .iter()
            .map(ApiMessage::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

async fn read_capped(
    mut response: reqwest::Response,
    path: &str,
    context: &RequestContext,
) -> Result<Vec<u8>, Diagnostics> {
    let status = response.status();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large(path, status));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large(path, status));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(Diagnostic::error(
                    "Cloudflare API response interrupted",
                    format!(
                        "GET {path} answered {status} but the body could not be read completely while reading {} ({}). Check the network and retry.",
                        context.what,
                        error_chain(&e)
                    ),
                )
                .into())
            }
        }
    }
}

fn too_large(path: &str, status: StatusCode) -> Diagnostics {
    Diagnostic::error(
        "Cloudflare API response too large",
        format!(
            "GET {path} answered {status} with a body larger than {} MiB, which no SSO connector response should be. If base_url points at a proxy, check what it returns.",
            MAX_BODY_BYTES >> 20
        ),
    )
    .into()
}

fn error_chain(error: &dyn std::error::Error) -> String {
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

fn transport_failure(
    error: &reqwest::Error,
    path: &str,
    base_url: &str,
    context: &RequestContext,
) -> Diagnostics {
    let (summary, hint) = if error.is_timeout() {
        ("Cloudflare API request timed out", "The API did not answer in time. Retry later; if it keeps happening, check connectivity to the API.")
    } else if error.is_connect() {
        (
            "Could not connect to the Cloudflare API",
            "Check network access to the API and the base_url setting (CLOUDFLARE_BASE_URL).",
        )
    } else {
        ("Cloudflare API request failed", "The connection failed before a complete answer arrived. Retry; if it persists, check proxies between you and the API.")
    };
    Diagnostic::error(
        summary,
        format!(
            "GET {base_url}{path} failed while reading {}: {}. {hint}",
            context.what,
            error_chain(error)
        ),
    )
    .into()
}

fn status_failure(
    status: StatusCode,
    body: &[u8],
    path: &str,
    context: &RequestContext,
    credentials: &Credentials,
) -> Diagnostics {
    let errors = envelope::errors_of(body);
    let reported = if errors.is_empty() {
        format!("the body was: {}", envelope::excerpt(body))
    } else {
        format!("Cloudflare said: {}", describe_errors(&errors))
    };
    let answered = format!("GET {path} answered {status}; {reported}.");
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let mode_hint = match credentials {
                Credentials::Token(_) => String::new(),
                other if context.tokens_only => format!(
                    " The provider is using {} credentials, but this endpoint accepts API tokens only: set api_token or {ENV_API_TOKEN} instead.",
                    other.mode()
                ),
                _ => String::new(),
            };
            Diagnostic::error(
                format!("Cloudflare denied access to {}", context.what),
                format!(
                    "{answered} Check that the API token (api_token or {ENV_API_TOKEN}) is valid, not expired or IP-restricted, and has the \"{}\" permission on this account.{mode_hint}",
                    context.permission
                ),
            )
            .into()
        }
        StatusCode::NOT_FOUND => {
            let diag = Diagnostic::error(format!("{} not found", capitalized(&context.what)), format!("{answered} {}", context.not_found));
            match &context.not_found_attribute {
                Some(path) => diag.at(path.clone()).into(),
                None => diag.into(),
            }
        }
        StatusCode::TOO_MANY_REQUESTS => Diagnostic::error(
            "Cloudflare API rate limit reached",
            format!("{answered} Cloudflare allows 1200 requests per 5 minutes per user. Wait a few minutes and retry, or lower -parallelism."),
        )
        .into(),
        s if s.is_server_error() => Diagnostic::error(
            "Cloudflare API error",
            format!("{answered} This is a problem on Cloudflare's side; retry later and check https://www.cloudflarestatus.com."),
        )
        .into(),
        _ => Diagnostic::error(
            format!("Cloudflare rejected the request for {}", context.what),
            format!("{answered} Check the identifiers in the configuration."),
        )
        .into(),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::secret::Secret;

    fn client() -> ApiClient {
        ApiClient::new(Settings {
            credentials: Credentials::Token(Secret::new("t")),
            base_url: "https://api.example.test/client/v4".to_string(),
            user_agent: "ua".to_string(),
        })
        .expect("client")
    }

    fn context() -> RequestContext {
        RequestContext {
            what: "SSO connector \"x\"".to_string(),
            permission: "SSO Connector Read",
            tokens_only: true,
            not_found: "Check the ids.".to_string(),
            not_found_attribute: Some(AttributePath::attribute("sso_connector_id")),
        }
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(
            client().url(&["accounts", "a/b?c#d e", "x"]),
            "https://api.example.test/client/v4/accounts/a%2Fb%3Fc%23d%20e/x"
        );
    }

    #[test]
    fn not_found_points_at_the_attribute() {
        let body = br#"{"success":false,"errors":[{"code":7003,"message":"Could not route"}]}"#;
        let diags = status_failure(
            StatusCode::NOT_FOUND,
            body,
            "/p",
            &context(),
            &Credentials::Missing,
        );
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute("sso_connector_id"))
        );
        assert!(diags.0[0].detail.contains("[7003] Could not route"));
        assert!(diags.0[0].summary.starts_with("SSO connector"));
    }

    #[test]
    fn forbidden_names_the_permission_and_token_only_rule() {
        let diags = status_failure(
            StatusCode::FORBIDDEN,
            b"{}",
            "/p",
            &context(),
            &Credentials::KeyAndEmail {
                key: Secret::new("k"),
                email: "e@x".to_string(),
            },
        );
        let detail = &diags.0[0].detail;
        assert!(detail.contains("SSO Connector Read"), "{detail}");
        assert!(detail.contains("accepts API tokens only"), "{detail}");
    }

    #[test]
    fn html_errors_show_the_start_of_the_body() {
        let diags = status_failure(
            StatusCode::BAD_GATEWAY,
            b"<html><title>502 Bad Gateway</title></html>",
            "/p",
            &context(),
            &Credentials::Missing,
        );
        assert!(diags.0[0].detail.contains("502 Bad Gateway"));
    }
}
