//! The JSON envelope every Cloudflare API v4 response comes in.

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// One entry of `errors` or `messages`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ApiMessage {
    /// Cloudflare's numeric code.
    #[serde(default)]
    pub code: Option<i64>,
    /// Human-readable text.
    #[serde(default)]
    pub message: Option<String>,
}

impl ApiMessage {
    /// `[code] message`, for diagnostics.
    pub fn describe(&self) -> String {
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("[{code}] {message}"),
            (Some(code), None) => format!("[{code}]"),
            (None, Some(message)) => message.clone(),
            (None, None) => "(no message)".to_string(),
        }
    }
}

/// Pagination details of list responses.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ResultInfo {
    /// Items on this page.
    #[serde(default)]
    pub count: Option<u64>,
    /// This page's number, from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Page size.
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Items across all pages.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: Option<u64>,
}

/// The envelope, generic over the `result` type.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope<T> {
    /// Whether the request succeeded.
    #[serde(default)]
    pub success: Option<bool>,
    /// Errors, when it did not.
    #[serde(default)]
    pub errors: Option<Vec<ApiMessage>>,
    /// Informational messages.
    #[serde(default)]
    pub messages: Option<Vec<ApiMessage>>,
    /// The payload.
    #[serde(default = "none")]
    pub result: Option<T>,
    /// Pagination, on list responses.
    #[serde(default)]
    pub result_info: Option<ResultInfo>,
}

fn none<T>() -> Option<T> {
    None
}

/// Only the error part of an envelope, for failed responses whose result is irrelevant.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorEnvelope {
    /// Errors reported.
    #[serde(default)]
    pub errors: Option<Vec<ApiMessage>>,
}

/// Parses a successful response body into its envelope.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<Envelope<T>, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The Cloudflare errors of any body that looks like an envelope; empty otherwise.
pub fn errors_of(body: &[u8]) -> Vec<ApiMessage> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.errors)
        .unwrap_or_default()
}

/// The first characters of a body, printable, for error messages.
pub fn excerpt(body: &[u8]) -> String {
    const LIMIT: usize = 300;
    let text = String::from_utf8_lossy(&body[..body.len().min(LIMIT * 4)]);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .take(LIMIT)
        .collect();
    if text.chars().count() > LIMIT || body.len() > LIMIT * 4 {
        out.push('…');
    }
    if out.trim().is_empty() {
        "(empty body)".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_envelope() {
        let body = br#"{"errors":[],"messages":[{"code":1000,"message":"m"}],"success":true,"result":{"a":1}}"#;
        let env: Envelope<serde_json::Value> = parse(body).expect("parse");
        assert_eq!(env.success, Some(true));
        assert!(env.result.is_some());
    }

    #[test]
    fn reads_errors_from_failure_envelopes() {
        let body = br#"{"success":false,"errors":[{"code":7003,"message":"Could not route"}],"result":null}"#;
        let errs = errors_of(body);
        assert_eq!(errs[0].describe(), "[7003] Could not route");
        assert!(errors_of(b"<html>").is_empty());
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt(b""), "(empty body)");
        let long = vec![b'x'; 10_000];
        assert!(excerpt(&long).chars().count() <= 301);
    }
}
