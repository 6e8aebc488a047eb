//! The fake Cloudflare API under `/client/v4`: auth, SSO connector routes, envelopes and faults.

use std::fmt;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH,
    RETRY_AFTER,
};
use hyper::{Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::Value;

use crate::auth::{self, Credentials, Decision};
use crate::body::{self, ResponseBody};
use crate::budget::Verdict;
use crate::faults::{FaultKind, FaultRule, DEFAULT_OVERSIZE_BYTES};
use crate::journal::RequestRecord;
use crate::state::{lock, read, AppState};
use crate::store::{Lookup, SEED_ACCOUNT};

/// Path prefix of the API.
pub const API_PREFIX: &str = "/client/v4";
/// Page size when `per_page` is absent.
pub const DEFAULT_PER_PAGE: u64 = 20;
/// Largest page size; larger requests are clamped.
pub const MAX_PER_PAGE: u64 = 100;

/// Returned by the service to make hyper drop the connection without a response.
#[derive(Debug)]
pub struct ResetConnection;

impl fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset by fault rule")
    }
}

impl std::error::Error for ResetConnection {}

/// One entry of an envelope's `errors` or `messages`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiMessage {
    /// Cloudflare error code.
    pub code: u32,
    /// Human-readable message.
    pub message: String,
}

fn msg(code: u32, message: impl Into<String>) -> ApiMessage {
    ApiMessage {
        code,
        message: message.into(),
    }
}

/// Pagination metadata of a list response.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ResultInfo {
    /// 1-based page number.
    pub page: u64,
    /// Page size actually used (after clamping).
    pub per_page: u64,
    /// Items on this page.
    pub count: u64,
    /// Items in all pages.
    pub total_count: u64,
    /// Number of pages.
    pub total_pages: u64,
}

/// The Cloudflare v4 response envelope.
#[derive(Debug, Serialize)]
pub struct Envelope<R: Serialize> {
    /// Whether the call succeeded.
    pub success: bool,
    /// Errors (empty on success).
    pub errors: Vec<ApiMessage>,
    /// Informational messages (always empty here).
    pub messages: Vec<ApiMessage>,
    /// The payload, or null on failure.
    pub result: R,
    /// Pagination metadata for list calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_info: Option<ResultInfo>,
}

/// A JSON answer before it becomes a response (so faults can cut it up).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Serialized JSON body.
    pub body: Vec<u8>,
}

fn success<R: Serialize>(result: R, result_info: Option<ResultInfo>) -> Reply {
    let envelope = Envelope {
        success: true,
        errors: vec![],
        messages: vec![],
        result,
        result_info,
    };
    Reply {
        status: StatusCode::OK,
        body: body::to_json_bytes(&envelope),
    }
}

/// A failure envelope (`success: false`, `result: null`).
pub fn failure(status: StatusCode, errors: Vec<ApiMessage>) -> Reply {
    let envelope = Envelope {
        success: false,
        errors,
        messages: vec![],
        result: Value::Null,
        result_info: None,
    };
    Reply {
        status,
        body: body::to_json_bytes(&envelope),
    }
}

/// The 404 errors Cloudflare gives for an unknown route or object (`route` is the path
/// after `/client/v4`).
pub fn not_found_errors(route: &str) -> Vec<ApiMessage> {
    vec![
        msg(
            7003,
            format!("Could not route to {route}, perhaps your object identifier is invalid?"),
        ),
        msg(7000, "No route for that URI"),
    ]
}

/// The error envelope's errors for a status when a fault rule gives no body.
pub fn default_errors(status: StatusCode, route: &str) -> Vec<ApiMessage> {
    let reason = status.canonical_reason().unwrap_or("Error");
    match status.as_u16() {
        400 => vec![msg(1001, "Bad request")],
        401 => vec![msg(10000, "Authentication error")],
        403 => vec![msg(9109, "Unauthorized to access requested resource")],
        404 => not_found_errors(route),
        405 => vec![msg(7001, "Method not allowed")],
        429 => vec![msg(
            971,
            "Please wait and consider throttling your request speed",
        )],
        500 => vec![msg(10001, "Internal server error")],
        501..=599 => vec![msg(10001, reason)],
        _ => vec![msg(1000, reason)],
    }
}

/// Percent-decodes each `/`-separated segment after the leading `/`; `None` if not UTF-8.
pub fn decode_segments(path: &str) -> Option<Vec<String>> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|s| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        })
        .collect()
}

/// Reads `page` and `per_page` from a query string (defaults 1 and 20; `per_page` clamped
/// to 100). Zero, negative or non-numeric values are an error naming the parameter.
pub fn pagination(query: Option<&str>) -> Result<(u64, u64), String> {
    let mut page = None;
    let mut per_page = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "page" => &mut page,
            "per_page" => &mut per_page,
            _ => continue,
        };
        if slot.is_none() {
            let value = percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            let n: u64 = value
                .trim()
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    format!("Invalid value for {key}: {value:?} is not a positive integer")
                })?;
            *slot = Some(n);
        }
    }
    Ok((
        page.unwrap_or(1),
        per_page.unwrap_or(DEFAULT_PER_PAGE).min(MAX_PER_PAGE),
    ))
}

/// Answers an API request as the real API would, ignoring faults.
fn route(
    state: &AppState,
    method: &Method,
    path: &str,
    query: Option<&str>,
    credentials: &Credentials,
) -> Reply {
    let Some(rest) = path
        .strip_prefix(API_PREFIX)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    else {
        return failure(StatusCode::NOT_FOUND, not_found_errors(path));
    };
    match state.auth.check(credentials) {
        Decision::Allow => {}
        Decision::Unauthenticated => {
            return failure(
                StatusCode::UNAUTHORIZED,
                default_errors(StatusCode::UNAUTHORIZED, rest),
            )
        }
        Decision::Forbidden => {
            return failure(
                StatusCode::FORBIDDEN,
                default_errors(StatusCode::FORBIDDEN, rest),
            )
        }
    }
    let Some(segments) = decode_segments(rest) else {
        return failure(StatusCode::NOT_FOUND, not_found_errors(rest));
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let is_get = method == Method::GET;
    match segments.as_slice() {
        ["accounts", account, "sso_connectors"] => {
            if !is_get {
                return failure(
                    StatusCode::METHOD_NOT_ALLOWED,
                    default_errors(StatusCode::METHOD_NOT_ALLOWED, rest),
                );
            }
            let (page, per_page) = match pagination(query) {
                Ok(p) => p,
                Err(e) => return failure(StatusCode::BAD_REQUEST, vec![msg(1001, e)]),
            };
            let listed = read(&state.store).page(account, page, per_page);
            match listed {
                None => failure(StatusCode::NOT_FOUND, not_found_errors(rest)),
                Some(p) => {
                    let info = ResultInfo {
                        page,
                        per_page,
                        count: u64::try_from(p.items.len()).unwrap_or(u64::MAX),
                        total_count: p.total,
                        total_pages: p.total_pages,
                    };
                    success(p.items, Some(info))
                }
            }
        }
        ["accounts", account, "sso_connectors", id] => {
            if !is_get {
                return failure(
                    StatusCode::METHOD_NOT_ALLOWED,
                    default_errors(StatusCode::METHOD_NOT_ALLOWED, rest),
                );
            }
            let found = match read(&state.store).get(account, id) {
                Lookup::Found(v) => Some(v.clone()),
                Lookup::NoAccount | Lookup::NoConnector => None,
            };
            match found {
                Some(v) => success(v, None),
                None => failure(StatusCode::NOT_FOUND, not_found_errors(rest)),
            }
        }
        _ => failure(StatusCode::NOT_FOUND, not_found_errors(rest)),
    }
}

/// The HTML page a misbehaving proxy returns.
pub fn html_page(status: StatusCode) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// An oversized but valid-looking JSON envelope of exactly `size` bytes (or just its
/// skeleton if `size` is smaller), streamed.
fn oversize(status: StatusCode, size: u64, chunked: bool) -> Response<ResponseBody> {
    let head = format!(
        "{{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{{\"id\":\"{SEED_ACCOUNT}\",\"email_domain\":\"example.com\",\"padding\":\""
    );
    let tail = "\"}}";
    let skeleton = u64::try_from(head.len() + tail.len()).unwrap_or(u64::MAX);
    let pad = size.saturating_sub(skeleton);
    body::response(
        status,
        "application/json",
        ResponseBody::padded(head, pad, tail, chunked),
    )
}

fn status_or(code: Option<u16>, default: StatusCode) -> StatusCode {
    code.and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(default)
}

/// The request's headers as `name: value; …`, secrets and all.
pub fn echoed(headers: &HeaderMap) -> String {
    headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Applies a fault rule; `normal` computes the real answer when the rule
/// needs it; `headers` are the request's, for rules that echo them.
fn apply_fault(
    rule: &FaultRule,
    route_path: &str,
    headers: &str,
    normal: impl FnOnce() -> Reply,
) -> Result<Response<ResponseBody>, ResetConnection> {
    Ok(match rule.kind {
        FaultKind::Reset => return Err(ResetConnection),
        FaultKind::EchoHeaders => {
            let status = status_or(rule.status, StatusCode::BAD_REQUEST);
            match &rule.body {
                Some(template) => {
                    body::json_bytes(status, template.replace("{headers}", headers).into_bytes())
                }
                None => {
                    let reply = failure(
                        status,
                        vec![msg(6003, format!("Invalid request headers: {headers}"))],
                    );
                    body::json_bytes(reply.status, reply.body)
                }
            }
        }
        FaultKind::Html => {
            let status = status_or(rule.status, StatusCode::BAD_GATEWAY);
            body::response(status, "text/html", ResponseBody::full(html_page(status)))
        }
        FaultKind::Oversize => oversize(
            status_or(rule.status, StatusCode::OK),
            rule.size_bytes.unwrap_or(DEFAULT_OVERSIZE_BYTES),
            rule.chunked,
        ),
        FaultKind::Truncate => {
            let reply = normal();
            let declared = u64::try_from(reply.body.len()).unwrap_or(u64::MAX);
            let mut half = reply.body;
            half.truncate(half.len() / 2);
            let mut resp = body::response(
                status_or(rule.status, StatusCode::OK),
                "application/json",
                ResponseBody::cut(half, declared),
            );
            resp.headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(declared));
            resp
        }
        FaultKind::SlowBody => {
            let reply = normal();
            let length = u64::try_from(reply.body.len()).unwrap_or(u64::MAX);
            let pause = Duration::from_millis(rule.delay_ms.unwrap_or(10_000));
            let mut resp = body::response(
                status_or(rule.status, reply.status),
                "application/json",
                ResponseBody::slow(reply.body, pause),
            );
            resp.headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(length));
            resp
        }
        FaultKind::TruncateJson => {
            let mut half = normal().body;
            half.truncate(half.len() / 2);
            body::json_bytes(status_or(rule.status, StatusCode::OK), half)
        }
        FaultKind::Respond => {
            let status = status_or(rule.status, StatusCode::OK);
            if let Some(raw) = &rule.body {
                body::json_bytes(status, raw.clone().into_bytes())
            } else if let Some(v) = &rule.json {
                body::json(status, v)
            } else if rule.passes_through() || status.as_u16() < 400 {
                let reply = normal();
                let status = if rule.passes_through() {
                    reply.status
                } else {
                    status
                };
                body::json_bytes(status, reply.body)
            } else {
                let reply = failure(status, default_errors(status, route_path));
                body::json_bytes(reply.status, reply.body)
            }
        }
    })
}

/// Whether the client asked for gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case("gzip"))
                && parts.all(|p| {
                    !matches!(
                        p.replace(' ', "").as_str(),
                        "q=0" | "q=0.0" | "q=0.00" | "q=0.000"
                    )
                })
        })
}

/// Handles one API request: records it, applies any fault, answers (gzip-compressed
/// when the client asks, as the real API does).
pub async fn handle(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, ResetConnection> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let credentials = auth::inspect(req.headers());
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let verdict = lock(&state.budget).hit(Instant::now());
    let fault = match verdict {
        Verdict::Allow => lock(&state.faults).take(method.as_str(), &target),
        Verdict::Reject { .. } => None,
    };
    let echo = if fault
        .as_ref()
        .is_some_and(|f| f.kind == FaultKind::EchoHeaders)
    {
        echoed(req.headers())
    } else {
        String::new()
    };
    let gzip = fault.is_none() && verdict == Verdict::Allow && accepts_gzip(req.headers());
    let record = RequestRecord::new(
        method.as_str(),
        &path,
        query.as_deref(),
        req.headers(),
        &credentials,
        fault.as_ref().map(|f| f.kind.as_str()),
    );
    lock(&state.journal).push(record);
    drop(req);
    if let Verdict::Reject { retry_after } = verdict {
        let reply = failure(
            StatusCode::TOO_MANY_REQUESTS,
            default_errors(StatusCode::TOO_MANY_REQUESTS, &path),
        );
        let mut resp = body::json_bytes(reply.status, reply.body);
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        return Ok(finish(state, resp));
    }

    if let Some(ms) = fault
        .as_ref()
        .filter(|f| f.kind != FaultKind::SlowBody)
        .and_then(|f| f.delay_ms)
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let normal = || route(state, &method, &path, query.as_deref(), &credentials);
    let mut resp = match &fault {
        None => {
            let reply = normal();
            match gzip.then(|| body::gzip(&reply.body)).flatten() {
                Some(compressed) => {
                    let mut resp = body::json_bytes(reply.status, compressed);
                    resp.headers_mut()
                        .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    resp
                }
                None => body::json_bytes(reply.status, reply.body),
            }
        }
        Some(rule) => {
            let route_path = path.strip_prefix(API_PREFIX).unwrap_or(&path);
            apply_fault(rule, route_path, &echo, normal)?
        }
    };
    if let Some(rule) = &fault {
        let headers = resp.headers_mut();
        for (name, value) in &rule.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.insert(n, v);
            }
        }
    }
    Ok(finish(state, resp))
}

/// Adds the budget's headers (unless a fault rule set its own) and counts a 429.
fn finish(state: &AppState, mut resp: Response<ResponseBody>) -> Response<ResponseBody> {
    if let Some(pairs) = lock(&state.budget).headers(Instant::now()) {
        let headers = resp.headers_mut();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(&value) {
                if !headers.contains_key(name) {
                    headers.insert(name, value);
                }
            }
        }
    }
    if resp.status() == StatusCode::TOO_MANY_REQUESTS {
        lock(&state.journal).served_429();
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthConfig, Scheme};
    use crate::store::Store;

    fn state() -> AppState {
        let mut store = Store::seed();
        store.generate("acc", 45);
        AppState::new(
            store,
            AuthConfig {
                accepted: ["t".to_string()].into(),
                denied: ["d".to_string()].into(),
            },
            crate::budget::BudgetConfig::default(),
        )
    }

    fn bearer(t: &str) -> Credentials {
        Credentials {
            scheme: Scheme::Bearer,
            token: Some(t.to_string()),
        }
    }

    fn get(state: &AppState, path: &str, query: Option<&str>, token: &str) -> (u16, Value) {
        let r = route(state, &Method::GET, path, query, &bearer(token));
        (
            r.status.as_u16(),
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn query_parsing() {
        assert_eq!(pagination(None), Ok((1, 20)));
        assert_eq!(pagination(Some("page=3&per_page=7&x=1")), Ok((3, 7)));
        assert_eq!(pagination(Some("per_page=1000")), Ok((1, 100)));
        for bad in [
            "page=0",
            "page=-1",
            "per_page=abc",
            "page=",
            "per_page=99999999999999999999999",
        ] {
            assert!(pagination(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn get_and_list() {
        let s = state();
        let (status, v) = get(&s, "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/sso_connectors/f1740f3ab5b64d3b9ef1d0c9a1b2c3d4", None, "t");
        assert_eq!(status, 200);
        assert_eq!(v["success"], true);
        assert_eq!(v["result"]["verification"]["status"], "verified");
        // Percent-encoded segments are decoded.
        let (status, _) = get(&s, "/client/v4/accounts/%30%323e105f4ecef8ad9ca31a8372d0c353/sso_connectors/f1740f3ab5b64d3b9ef1d0c9a1b2c3d4", None, "t");
        assert_eq!(status, 200);
        let (status, v) = get(
            &s,
            "/client/v4/accounts/acc/sso_connectors",
            Some("page=3&per_page=20"),
            "t",
        );
        assert_eq!(status, 200);
        assert_eq!(v["result"].as_array().map(Vec::len), Some(5));
        assert_eq!(v["result_info"]["total_count"], 45);
        assert_eq!(v["result_info"]["total_pages"], 3);
        assert_eq!(v["result_info"]["count"], 5);
        let (status, v) = get(
            &s,
            "/client/v4/accounts/acc/sso_connectors",
            Some("per_page=0"),
            "t",
        );
        assert_eq!((status, v["success"].clone()), (400, Value::Bool(false)));
    }

    #[test]
    fn errors() {
        let s = state();
        let (status, v) = get(&s, "/client/v4/accounts/acc/sso_connectors/nope", None, "t");
        assert_eq!(status, 404);
        assert_eq!(v["errors"][0]["code"], 7003);
        assert_eq!(
            v["errors"][0]["message"],
            "Could not route to /accounts/acc/sso_connectors/nope, perhaps your object identifier is invalid?"
        );
        assert_eq!(v["errors"][1]["code"], 7000);
        assert_eq!(v["result"], Value::Null);
        assert_eq!(
            get(&s, "/client/v4/accounts/x/sso_connectors", None, "t").0,
            404
        );
        assert_eq!(get(&s, "/client/v4/zones", None, "t").0, 404);
        let (status, v) = get(&s, "/client/v4/accounts/acc/sso_connectors", None, "wrong");
        assert_eq!(
            (status, v["errors"][0]["code"].clone()),
            (401, Value::from(10000))
        );
        let (status, v) = get(&s, "/client/v4/accounts/acc/sso_connectors", None, "d");
        assert_eq!(
            (status, v["errors"][0]["code"].clone()),
            (403, Value::from(9109))
        );
        let r = route(
            &s,
            &Method::POST,
            "/client/v4/accounts/acc/sso_connectors",
            None,
            &bearer("t"),
        );
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn gzip_is_sent_only_when_asked_for() {
        let with = |value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
            accepts_gzip(&h)
        };
        assert!(with("gzip"));
        assert!(with("deflate, GZIP;q=0.5"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn echoed_headers_include_secrets_verbatim() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer tok-123"));
        h.insert("x-auth-key", HeaderValue::from_static("key-456"));
        let text = echoed(&h);
        assert!(text.contains("authorization: Bearer tok-123"), "{text}");
        assert!(text.contains("x-auth-key: key-456"), "{text}");
    }

    #[test]
    fn default_error_codes() {
        assert_eq!(
            default_errors(StatusCode::TOO_MANY_REQUESTS, "/")[0].code,
            971
        );
        assert_eq!(
            default_errors(StatusCode::SERVICE_UNAVAILABLE, "/")[0].code,
            10001
        );
        assert_eq!(default_errors(StatusCode::NOT_FOUND, "/a").len(), 2);
    }
}
