//! The JSON envelope every Cloudflare API v4 response comes in, and how a
//! response body is shown in error messages.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::cloudflare::secret::Redactor;

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

/// A response body as error messages show it: the provider's credentials
/// removed before anything is quoted, and compressed or binary data described
/// in words instead of quoted as junk.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownBody {
    /// The Cloudflare errors, when the body is an envelope.
    pub errors: Vec<ApiMessage>,
    /// The start of the body, or a description of it.
    pub excerpt: String,
}

impl ShownBody {
    /// Prepares `body` for messages. `undecoded_encoding` is the
    /// `Content-Encoding` the HTTP client left in place because it cannot
    /// decode it (it decodes what it asks for: gzip and deflate).
    pub fn new(body: &[u8], undecoded_encoding: Option<&str>, redactor: &Redactor) -> Self {
        let described = |excerpt: String| Self {
            errors: Vec::new(),
            excerpt,
        };
        if let Some(encoding) = undecoded_encoding {
            return described(format!(
                "({} bytes compressed with {:?}, an encoding the provider did not ask for and cannot read)",
                body.len(),
                excerpt(encoding.as_bytes())
            ));
        }
        if body.starts_with(&[0x1f, 0x8b]) {
            return described(format!(
                "({} bytes of gzip-compressed data sent without a Content-Encoding header)",
                body.len()
            ));
        }
        if is_binary(body) {
            return described(format!("({} bytes of binary data)", body.len()));
        }
        let clean = redactor.bytes(body);
        Self {
            errors: errors_of(&clean),
            excerpt: excerpt(&clean),
        }
    }
}

/// Whether a body's start is not text: invalid UTF-8 (other than a character
/// cut at the end of the sample) or more than a few control characters.
fn is_binary(body: &[u8]) -> bool {
    const SAMPLE: usize = 1024;
    let sample = &body[..body.len().min(SAMPLE)];
    let text = match std::str::from_utf8(sample) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return true,
    };
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    controls * 20 > text.chars().count().max(1)
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

    #[test]
    fn shown_bodies_describe_what_they_cannot_quote() {
        let none = Redactor::new([]);
        let json =
            br#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#;
        let shown = ShownBody::new(json, None, &none);
        assert_eq!(shown.errors[0].describe(), "[10000] Authentication error");
        let br = ShownBody::new(&[0x8b, 0x05, 0x80, 0xff, 0x00], Some("br"), &none);
        assert!(br.excerpt.contains("\"br\""), "{}", br.excerpt);
        assert!(br.excerpt.contains("did not ask for"), "{}", br.excerpt);
        let gzip = ShownBody::new(&[0x1f, 0x8b, 0x08, 0x00, 0x41], None, &none);
        assert!(gzip.excerpt.contains("gzip"), "{}", gzip.excerpt);
        let binary = ShownBody::new(&[0, 1, 2, 3, 4, 5, 6, 7, 200, 201], None, &none);
        assert_eq!(binary.excerpt, "(10 bytes of binary data)");
        let cut_char = "é".repeat(600);
        assert!(!ShownBody::new(cut_char.as_bytes(), None, &none)
            .excerpt
            .contains("binary"));
    }

    #[test]
    fn shown_bodies_never_quote_credentials() {
        let token = "cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD";
        let echo = format!(
            r#"{{"success":false,"errors":[{{"code":6003,"message":"bad header Bearer {token}"}}],"echo":"{}{token}"}}"#,
            "x".repeat(270)
        );
        let shown = ShownBody::new(echo.as_bytes(), None, &Redactor::new([token]));
        assert!(!shown.excerpt.contains("0123456789"), "{}", shown.excerpt);
        assert!(!shown.errors[0].describe().contains("0123456789"));
    }
}
