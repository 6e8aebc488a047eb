//! Failed API requests in the user's terms: [`diagnostic`] turns a typed
//! [`Failure`] and what the request was about ([`RequestContext`]) into a
//! diagnostic that says what happened and what to do; [`budget_wait`] explains
//! a long wait for Cloudflare's request budget. Server text arrives here
//! already cleaned of credentials.

use std::time::Duration;

use reqwest::StatusCode;

use crate::cloudflare::api_error::{ApiError, Failure, StopReason, Stopped, TransportKind};
use crate::cloudflare::budget::Snapshot;
use crate::cloudflare::config::{ENV_MAX_RETRIES, ENV_RATE_LIMIT, ENV_READ_TIMEOUT};
use crate::cloudflare::credentials::Credentials;
use crate::cloudflare::credentials::ENV_API_TOKEN;
use crate::cloudflare::envelope::{ApiMessage, ShownBody};
use crate::cloudflare::memory::mebibytes;
use crate::plugin::AttributePath;
use crate::plugin::Diagnostic;

/// What a request is about, so failures can be explained in the user's terms.
pub struct RequestContext {
    /// The object read, e.g. `SSO connector "…" in account "…"`.
    pub what: String,
    /// The API token permission the endpoint needs, e.g. `SSO Connector Read`.
    pub permission: &'static str,
    /// True when the endpoint accepts API tokens only.
    pub tokens_only: bool,
    /// What to tell the user on 404, made only then.
    pub not_found: Box<dyn Fn() -> String + Send + Sync>,
    /// The configuration attribute a 404 points at.
    pub not_found_attribute: Option<AttributePath>,
}

/// The client a request went through, as far as messages need it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// The API root requests went to.
    pub base_url: &'a str,
    /// The credentials they carried.
    pub credentials: &'a Credentials,
}

/// The one place a failed request becomes a diagnostic. When the failure was
/// one that retrying could have fixed, the attempts and time spent are added.
pub(crate) fn diagnostic(
    failure: &Failure,
    context: &RequestContext,
    origin: Origin<'_>,
) -> Diagnostic {
    let path = failure.path.as_str();
    let diag = match &failure.error {
        ApiError::NoCredentials => no_credentials(context),
        ApiError::Transport { kind, chain } => transport(*kind, chain, path, origin.base_url, context),
        ApiError::Certificate { reason } => certificate(reason, origin.base_url, context),
        ApiError::Redirected { status, location } => {
            redirected(*status, location.as_deref(), path, origin.base_url)
        }
        ApiError::Interrupted {
            status,
            timed_out,
            chain,
        } => interrupted(*timed_out, chain, *status, path, context),
        ApiError::TooLarge { status, limit } => too_large(path, *status, *limit),
        ApiError::Undecodable { status, chain } => undecodable(chain, *status, path),
        ApiError::NotAnEnvelope {
            status,
            problem,
            body,
        } => not_an_envelope(path, *status, body, problem),
        ApiError::Reported { status, body } => reported_failure(path, *status, body, context),
        ApiError::MissingResult { status } => missing_result(path, *status),
        ApiError::Status { status: code, body } => {
            status(*code, body, path, context, origin.credentials)
        }
        ApiError::ResultTypeMismatch => Diagnostic::error(
            "Internal error in the response cache",
            "Two kinds of reads asked for the same URL with different result types. This is a bug in the provider; please report it.",
        ),
        ApiError::OverMemory { in_use, limit } => Diagnostic::error(
            "Cloudflare API answers too large",
            format!(
                "GET {path}: with this answer, the answers held by the provider's reads in progress would reach {}, more than the {} it holds at once. The answers are unusually large: if base_url points at a proxy, check what it returns; otherwise run terraform with a lower -parallelism.",
                mebibytes(*in_use),
                mebibytes(*limit)
            ),
        ),
        ApiError::OutOfTime => Diagnostic::error(
            "Cloudflare API read would wait past read_timeout",
            format!("Reading {} could not send its request in time.", context.what),
        ),
    };
    match &failure.stopped {
        Some(stopped) => out_of_time(diag, stopped, failure),
        None if failure.error.is_retryable() => exhausted(diag, failure.attempts, failure.elapsed),
        None => diag,
    }
}

/// The diagnostic of a read whose next attempt did not fit into what was
/// left of `read_timeout`: the last attempt's diagnostic (if there was one)
/// and what the read would have waited for, how long, and how to allow it.
fn out_of_time(last: Diagnostic, stopped: &Stopped, failure: &Failure) -> Diagnostic {
    let wait = stopped.wait.map(duration_text);
    let reason = match (stopped.reason, wait) {
        (StopReason::ServerAsked, Some(wait)) => format!("Cloudflare asked to wait {wait} before the next attempt (Retry-After, Retry-After-Ms or X-RateLimit-Reset)"),
        (StopReason::Backoff, Some(wait)) => format!("The next attempt was due in {wait}"),
        (StopReason::Paused, Some(wait)) => format!("Every read of this provider is held for {wait} more, because Cloudflare answered 429 (too many requests) and asked to wait"),
        (StopReason::RateLimit, Some(wait)) => format!("rate_limit ({ENV_RATE_LIMIT}) would hold the next request for {wait}"),
        (StopReason::Budget, Some(wait)) => format!("Cloudflare's request budget for these credentials is spent until its window resets in {wait}, by the rate-limit headers of its answers"),
        (_, _) => "The read waited for the answers of requests already under way, to learn where Cloudflare's request budget stands".to_string(),
    };
    let ending = if stopped.wait.is_some() {
        format!(
            ", but only {} of read_timeout ({}) remained, so the read stopped at once instead of waiting.",
            duration_text(stopped.left),
            duration_text(stopped.limit)
        )
    } else {
        format!(
            ", until read_timeout ({}) ran out.",
            duration_text(stopped.limit)
        )
    };
    let advice =
        format!("Raise read_timeout ({ENV_READ_TIMEOUT}) to allow longer waits, or retry later.");
    if failure.error == ApiError::OutOfTime {
        return Diagnostic {
            detail: format!("{} {reason}{ending} {advice}", last.detail),
            ..last
        };
    }
    let tries = match failure.attempts {
        1 => "1 attempt".to_string(),
        n => format!("{n} attempts"),
    };
    Diagnostic {
        detail: format!(
            "{} That was the last of {tries} over {:.1} s. {reason}{ending} {advice}",
            last.detail,
            failure.elapsed.as_secs_f64()
        ),
        ..last
    }
}

/// A duration as a person reads it: `2.5 s`, `300 s`, `more than a day`.
fn duration_text(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else if secs <= 86_400.0 {
        format!("{} s", secs.round())
    } else {
        "more than a day".to_string()
    }
}

/// `[code] message; …` for the Cloudflare errors of a body, with how many
/// more there were when not all are shown.
pub(crate) fn describe_errors(body: &ShownBody) -> String {
    if body.errors.is_empty() {
        return "no error details".to_string();
    }
    let mut text = body
        .errors
        .iter()
        .map(ApiMessage::describe)
        .collect::<Vec<_>>()
        .join("; ");
    match body.omitted_errors {
        0 => {}
        1 => text.push_str("; and 1 more error"),
        more => text.push_str(&format!("; and {more} more errors")),
    }
    text
}

fn no_credentials(context: &RequestContext) -> Diagnostic {
    Diagnostic::error(
        "No Cloudflare credentials",
        format!(
            "Reading {} needs an API token with the \"{}\" permission. Set api_token in the provider \"cloudflare\" block, or the {ENV_API_TOKEN} environment variable.",
            context.what, context.permission
        ),
    )
}

/// The request never produced a complete answer: connect failure, timeout, reset.
fn transport(
    kind: TransportKind,
    chain: &str,
    path: &str,
    base_url: &str,
    context: &RequestContext,
) -> Diagnostic {
    let (summary, hint) = match kind {
        TransportKind::Timeout => ("Cloudflare API request timed out", "The API did not answer within request_timeout (CLOUDFLARE_REQUEST_TIMEOUT). Retry later; if it keeps happening, check connectivity to the API or raise request_timeout."),
        TransportKind::Connect => (
            "Could not connect to the Cloudflare API",
            "Check network access to the API and the base_url setting (CLOUDFLARE_BASE_URL).",
        ),
        TransportKind::Other => ("Cloudflare API request failed", "The connection failed before a complete answer arrived. Retry; if it persists, check proxies between you and the API."),
    };
    Diagnostic::error(
        summary,
        format!(
            "GET {base_url}{path} failed while reading {}: {chain}. {hint}",
            context.what
        ),
    )
}

/// The body stopped arriving part-way.
fn interrupted(
    timed_out: bool,
    chain: &str,
    status: StatusCode,
    path: &str,
    context: &RequestContext,
) -> Diagnostic {
    let summary = if timed_out {
        "Cloudflare API request timed out"
    } else {
        "Cloudflare API response interrupted"
    };
    Diagnostic::error(
        summary,
        format!(
            "GET {path} answered {status} but the body could not be read completely while reading {} ({chain}). Check the network and retry.",
            context.what
        ),
    )
}

/// The body is larger than any sensible answer.
fn too_large(path: &str, status: StatusCode, limit: usize) -> Diagnostic {
    Diagnostic::error(
        "Cloudflare API response too large",
        format!(
            "GET {path} answered {status} with a body larger than {} MiB, which no SSO connector response should be. If base_url points at a proxy, check what it returns.",
            limit >> 20
        ),
    )
}

/// A 2xx answer whose body is not the JSON envelope expected; `problem` is
/// the parser's complaint (cleaned of credentials: it may quote the body).
fn not_an_envelope(path: &str, status: StatusCode, body: &ShownBody, problem: &str) -> Diagnostic {
    Diagnostic::error(
        "Unexpected response from the Cloudflare API",
        format!(
            "GET {path} answered {status} but the body is not the expected JSON ({problem}). The start of the body was:\n{}\nIf base_url points at a proxy, check that it forwards the API unchanged; otherwise retry later.",
            body.excerpt
        ),
    )
}

/// A body the HTTP client could not decompress (it said gzip or deflate and
/// was not); `chain` as for [`transport`].
fn undecodable(chain: &str, status: StatusCode, path: &str) -> Diagnostic {
    Diagnostic::error(
        "Unreadable response from the Cloudflare API",
        format!(
            "GET {path} answered {status} with a compressed body that could not be decompressed ({chain}). The Cloudflare API compresses correctly, so something between you and it changed the answer: if base_url points at a proxy, check it."
        ),
    )
}

/// A 3xx answer: the provider never follows redirects, since the Cloudflare
/// API does not send them and following one would send credentials, and trust
/// the answer of, wherever it points. `location` comes cleaned of credentials.
fn redirected(
    status: StatusCode,
    location: Option<&str>,
    path: &str,
    base_url: &str,
) -> Diagnostic {
    let target = match location {
        Some(location) => format!("a redirect to {location}"),
        None => "a redirect without a Location".to_string(),
    };
    Diagnostic::error(
        "Cloudflare API request redirected",
        format!(
            "GET {path} answered {status} with {target}. The Cloudflare API never redirects, so the provider does not follow redirects: credentials are sent to base_url ({base_url}) and nowhere else, and only its answers are accepted. Check base_url (CLOUDFLARE_BASE_URL): it may miss a path such as /client/v4, use http where https is meant, or point at a proxy that redirects. If the redirect target is the API endpoint you trust, set base_url to it."
        ),
    )
}

/// The API endpoint's TLS certificate is not trusted: not transient, never retried.
fn certificate(reason: &str, base_url: &str, context: &RequestContext) -> Diagnostic {
    Diagnostic::error(
        "Cloudflare API certificate not trusted",
        format!(
            "Reading {} failed because the TLS certificate of {base_url} is not trusted: {reason}. This does not pass with time, so the provider did not retry. If your network inspects HTTPS with its own certificate authority (a corporate proxy or firewall), trust that authority: set SSL_CERT_FILE to a PEM file holding the certificate authorities to trust (SSL_CERT_DIR for a directory of them) in the environment terraform runs in. Otherwise check base_url (CLOUDFLARE_BASE_URL).",
            context.what
        ),
    )
}

/// A 2xx answer whose envelope says `success: false`.
fn reported_failure(
    path: &str,
    status: StatusCode,
    body: &ShownBody,
    context: &RequestContext,
) -> Diagnostic {
    Diagnostic::error(
        format!("Cloudflare could not read {}", context.what),
        format!(
            "GET {path} answered {status} but reported failure: {}. Check the identifiers and the token's permissions ({}), then retry.",
            describe_errors(body),
            context.permission
        ),
    )
}

/// A 2xx answer with success but no result.
fn missing_result(path: &str, status: StatusCode) -> Diagnostic {
    Diagnostic::error(
        "Unexpected response from the Cloudflare API",
        format!("GET {path} answered {status} with success but no result. Retry later; if it persists, report it to Cloudflare."),
    )
}

/// An error status, explained in the user's terms.
fn status(
    status: StatusCode,
    body: &ShownBody,
    path: &str,
    context: &RequestContext,
    credentials: &Credentials,
) -> Diagnostic {
    let reported = if body.errors.is_empty() {
        format!("the body was: {}", body.excerpt)
    } else {
        format!("Cloudflare said: {}", describe_errors(body))
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
        }
        StatusCode::NOT_FOUND => {
            let diag = Diagnostic::error(
                format!("{} not found", capitalized(&context.what)),
                format!("{answered} {}", (context.not_found)()),
            );
            match &context.not_found_attribute {
                Some(path) => diag.at(path.clone()),
                None => diag,
            }
        }
        StatusCode::TOO_MANY_REQUESTS => Diagnostic::error(
            "Cloudflare API rate limit reached",
            format!("{answered} Cloudflare allows 1200 requests per 5 minutes per user. Wait a few minutes and retry, lower rate_limit (CLOUDFLARE_RATE_LIMIT), or lower -parallelism."),
        ),
        s if s.is_server_error() => Diagnostic::error(
            "Cloudflare API error",
            format!("{answered} This is a problem on Cloudflare's side; retry later and check https://www.cloudflarestatus.com."),
        ),
        s if s.is_client_error() => Diagnostic::error(
            format!("Cloudflare rejected the request for {}", context.what),
            format!("{answered} Check the identifiers in the configuration."),
        ),
        _ => Diagnostic::error(
            "Unexpected answer from the Cloudflare API",
            format!("{answered} The Cloudflare API answers these requests with 2xx, 4xx or 5xx only, so something between you and it answered instead: if base_url points at a proxy, check it; otherwise retry later."),
        ),
    }
}

/// The warning on a read that waited long for the API budget: not a failure,
/// the reason a plan was slow.
pub(crate) fn budget_wait(
    waited: Duration,
    at_start: Option<&Snapshot>,
    context: &RequestContext,
) -> Diagnostic {
    let seconds = waited.as_secs_f64().round();
    let quota = match at_start.and_then(|s| s.quota.zip(s.window)) {
        Some((quota, window)) => format!("{} requests per {}", thousands(quota), span(window)),
        None => "its request budget".to_string(),
    };
    let state = match at_start {
        Some(s) => format!(
            "{} remained when the wait began, {} of them kept in reserve for other clients and requests already under way, and the window reset {} later",
            thousands(s.remaining),
            thousands(s.reserve),
            span(s.reset_in)
        ),
        None => "Cloudflare had answered 429 (too many requests) and asked every client to wait".to_string(),
    };
    Diagnostic::warning(
        "Waited for Cloudflare's API budget",
        format!(
            "Reading {} waited {seconds} s for Cloudflare's API budget: {quota}, shared by every client of this user (the dashboard, other pipelines and other Terraform runs with the same credentials); {state}. The read succeeded. Plans sharing a token wait less when fewer of them run at once, or with a lower -parallelism elsewhere.",
            context.what
        ),
    )
}

/// `1200` as `1,200`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A duration in the unit a person would say: `5 minutes`, `15 s`.
fn span(duration: Duration) -> String {
    let secs = duration.as_secs_f64().round() as u64;
    match secs {
        60 => "minute".to_string(),
        s if s > 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} s"),
    }
}

/// The last attempt's diagnostic, extended with how many attempts were made
/// over how long, once retries have run out.
fn exhausted(last: Diagnostic, attempts: u32, elapsed: Duration) -> Diagnostic {
    let tries = if attempts == 1 {
        "1 attempt".to_string()
    } else {
        format!("{attempts} attempts")
    };
    let retries = attempts.saturating_sub(1);
    let detail = format!(
        "{} Gave up after {tries} over {:.1} s (max_retries = {retries}); the text above describes the last attempt. Raise max_retries ({ENV_MAX_RETRIES}) to keep trying longer.",
        last.detail,
        elapsed.as_secs_f64()
    );
    Diagnostic { detail, ..last }
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
    use crate::plugin::AttributePath;

    fn context() -> RequestContext {
        RequestContext {
            what: "SSO connector \"x\"".to_string(),
            permission: "SSO Connector Read",
            tokens_only: true,
            not_found: Box::new(|| "Check the ids.".to_string()),
            not_found_attribute: Some(AttributePath::attribute("sso_connector_id")),
        }
    }

    #[test]
    fn a_long_budget_wait_is_a_warning_that_explains_the_budget() {
        let snapshot = Snapshot {
            remaining: 20,
            reset_in: Duration::from_secs(44),
            quota: Some(1200),
            window: Some(Duration::from_secs(300)),
            reserve: 120,
        };
        let diag = budget_wait(Duration::from_millis(45_300), Some(&snapshot), &context());
        assert!(!diag.is_error());
        assert_says(&diag, "waited 45 s for Cloudflare's API budget: 1,200 requests per 5 minutes, shared by every client of this user");
        assert_says(&diag, "20 remained when the wait began");
        let unknown = budget_wait(Duration::from_secs(31), None, &context());
        assert_says(&unknown, "its request budget");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(span(Duration::from_secs(60)), "minute");
        assert_eq!(span(Duration::from_secs(15)), "15 s");
    }

    /// Asserts that the diagnostic's detail holds `text`.
    fn assert_says(diag: &Diagnostic, text: &str) {
        assert!(
            diag.detail.contains(text),
            "{text:?} missing: {}",
            diag.detail
        );
    }

    /// The diagnostic for `attempts` attempts that ended in `status` with `body`.
    fn said(status: u16, body: &[u8], credentials: &Credentials, attempts: u32) -> Diagnostic {
        let failure = Failure {
            error: ApiError::Status {
                status: StatusCode::from_u16(status).expect("status"),
                body: ShownBody::new(body, None, &crate::cloudflare::secret::Redactor::new([])),
            },
            path: "/p".to_string(),
            attempts,
            elapsed: Duration::from_millis(1500),
            stopped: None,
        };
        let origin = Origin {
            base_url: "https://api.example.test/client/v4",
            credentials,
        };
        diagnostic(&failure, &context(), origin)
    }

    #[test]
    fn not_found_points_at_the_attribute() {
        let body = br#"{"success":false,"errors":[{"code":7003,"message":"Could not route"}]}"#;
        let diag = said(404, body, &Credentials::Missing, 1);
        assert_eq!(
            diag.attribute,
            Some(AttributePath::attribute("sso_connector_id"))
        );
        assert!(diag.detail.contains("[7003] Could not route"));
        assert!(diag.summary.starts_with("SSO connector"));
        assert!(!diag.detail.contains("Gave up"), "{}", diag.detail);
    }

    #[test]
    fn forbidden_names_the_permission_and_token_only_rule() {
        let key = Credentials::KeyAndEmail {
            key: Secret::new("k"),
            email: "e@x".to_string(),
        };
        let diag = said(403, b"{}", &key, 1);
        assert_says(&diag, "SSO Connector Read");
        assert_says(&diag, "accepts API tokens only");
    }

    #[test]
    fn answers_that_are_neither_success_nor_error_are_unexpected_not_rejections() {
        for code in [101, 304, 600, 999] {
            let diag = said(code, b"", &Credentials::Missing, 1);
            assert_eq!(
                diag.summary, "Unexpected answer from the Cloudflare API",
                "{code}"
            );
            assert!(
                !diag.detail.contains("identifiers"),
                "{code}: {}",
                diag.detail
            );
        }
        let diag = said(400, b"", &Credentials::Missing, 1);
        assert!(diag.summary.starts_with("Cloudflare rejected"));
    }

    #[test]
    fn html_errors_show_the_start_of_the_body() {
        let html = b"<html><title>502 Bad Gateway</title></html>";
        let diag = said(502, html, &Credentials::Missing, 1);
        assert!(diag.detail.contains("502 Bad Gateway"));
    }

    #[test]
    fn exhausted_retries_report_attempts_time_and_the_last_answer() {
        let body =
            br#"{"success":false,"errors":[{"code":10001,"message":"Internal server error"}]}"#;
        let diag = said(500, body, &Credentials::Missing, 3);
        assert_eq!(diag.summary, "Cloudflare API error");
        for part in [
            "500 Internal Server Error",
            "[10001] Internal server error",
            "3 attempts over 1.5 s",
            "max_retries = 2",
        ] {
            assert!(diag.detail.contains(part), "{part}: {}", diag.detail);
        }
    }

    #[test]
    fn a_wait_past_read_timeout_says_how_long_was_asked_and_which_setting_allows_more() {
        let body = br#"{"success":false,"errors":[{"code":971,"message":"slow down"}]}"#;
        let failure = Failure {
            error: ApiError::Status {
                status: StatusCode::TOO_MANY_REQUESTS,
                body: ShownBody::new(body, None, &crate::cloudflare::secret::Redactor::new([])),
            },
            path: "/p".to_string(),
            attempts: 1,
            elapsed: Duration::from_millis(200),
            stopped: Some(Stopped {
                reason: StopReason::ServerAsked,
                wait: Some(Duration::from_secs(1800)),
                left: Duration::from_secs(359),
                limit: Duration::from_secs(360),
            }),
        };
        let origin = Origin {
            base_url: "https://api.example.test/client/v4",
            credentials: &Credentials::Missing,
        };
        let diag = diagnostic(&failure, &context(), origin);
        assert_eq!(diag.summary, "Cloudflare API rate limit reached");
        for part in [
            "asked to wait 1800 s",
            "only 359 s of read_timeout (360 s) remained",
            "CLOUDFLARE_READ_TIMEOUT",
            "[971] slow down",
        ] {
            assert!(diag.detail.contains(part), "{part}: {}", diag.detail);
        }
        let never = Failure {
            error: ApiError::OutOfTime,
            attempts: 0,
            stopped: Some(Stopped {
                reason: StopReason::Budget,
                wait: Some(Duration::MAX),
                left: Duration::from_secs(20),
                limit: Duration::from_secs(30),
            }),
            ..failure
        };
        let diag = diagnostic(&never, &context(), origin);
        assert_eq!(
            diag.summary,
            "Cloudflare API read would wait past read_timeout"
        );
        assert!(diag.detail.contains("more than a day"), "{}", diag.detail);
    }
}
