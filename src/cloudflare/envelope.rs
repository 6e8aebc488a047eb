//! The JSON envelope every Cloudflare API v4 response comes in, and how a
//! response body is shown in error messages.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::cloudflare::secret::Redactor;
use crate::cloudflare::server_text::{self, ERRORS_SHOWN, EXCERPT_CHARS, MESSAGE_CHARS};

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
    /// The entry as it may be shown: its message redacted, cleaned of
    /// control characters and cut to [`MESSAGE_CHARS`] characters.
    pub fn cleaned(&self, redactor: &Redactor) -> Self {
        Self {
            code: self.code,
            message: self
                .message
                .as_deref()
                .map(|message| server_text::shown(message, MESSAGE_CHARS, false, redactor)),
        }
    }

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
    /// Errors, when it did not (the first few; see [`ShownBody`] for display).
    #[serde(default)]
    pub errors: Option<FirstErrors>,
    /// Informational messages (the first few).
    #[serde(default)]
    pub messages: Option<FirstErrors>,
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

/// The first [`ERRORS_SHOWN`] entries of a list of errors, and how many
/// more there were: a body of 200,000 errors costs no more than one of five.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirstErrors {
    /// The entries kept, in order.
    pub shown: Vec<ApiMessage>,
    /// How many entries followed them.
    pub omitted: usize,
}

impl<'de> Deserialize<'de> for FirstErrors {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FirstErrors;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of errors")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<FirstErrors, A::Error> {
                let mut errors = FirstErrors::default();
                while errors.shown.len() < ERRORS_SHOWN {
                    match seq.next_element::<ApiMessage>()? {
                        Some(message) => errors.shown.push(message),
                        None => return Ok(errors),
                    }
                }
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    errors.omitted += 1;
                }
                Ok(errors)
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// Only the error part of an envelope, for failed responses whose result is irrelevant.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorEnvelope {
    /// Errors reported.
    #[serde(default)]
    pub errors: Option<FirstErrors>,
}

/// Parses a successful response body into its envelope.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<Envelope<T>, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The Cloudflare errors of any body that looks like an envelope (the first
/// few, and how many more); none otherwise. Nothing is cleaned here.
pub fn errors_of(body: &[u8]) -> FirstErrors {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.errors)
        .unwrap_or_default()
}

/// The first characters of a body, printable, for error messages (no
/// redaction: see [`ShownBody`] for text that may hold credentials).
pub fn excerpt(body: &[u8]) -> String {
    excerpt_redacted(body, &Redactor::default())
}

/// [`excerpt`] with credentials redacted first.
fn excerpt_redacted(body: &[u8], redactor: &Redactor) -> String {
    let read = body.len().min(
        EXCERPT_CHARS
            .saturating_mul(4)
            .saturating_add(redactor.margin()),
    );
    let text = String::from_utf8_lossy(&body[..read]);
    let mut out = server_text::shown(&text, EXCERPT_CHARS, true, redactor);
    if read < body.len() && !out.ends_with('…') {
        out.push('…');
    }
    if out.trim().is_empty() {
        "(empty body)".to_string()
    } else {
        out
    }
}

/// A response body as error messages show it: the provider's credentials
/// removed from what is quoted (after JSON decoding, so escaped credentials
/// go too), at most [`ERRORS_SHOWN`] errors of at most
/// [`MESSAGE_CHARS`](server_text::MESSAGE_CHARS) characters each, control
/// characters replaced, and compressed or binary data described in words
/// instead of quoted as junk.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownBody {
    /// The Cloudflare errors, when the body is an envelope, cleaned for display.
    pub errors: Vec<ApiMessage>,
    /// How many more errors the body held.
    pub omitted_errors: usize,
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
            omitted_errors: 0,
            excerpt,
        };
        if let Some(encoding) = undecoded_encoding {
            return described(format!(
                "({} bytes compressed with {:?}, an encoding the provider did not ask for and cannot read)",
                body.len(),
                server_text::shown(encoding, 40, false, redactor)
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
        let errors = errors_of(body);
        Self {
            errors: errors
                .shown
                .iter()
                .map(|message| message.cleaned(redactor))
                .collect(),
            omitted_errors: errors.omitted,
            excerpt: excerpt_redacted(body, redactor),
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
        assert_eq!(errs.shown[0].describe(), "[7003] Could not route");
        assert!(errors_of(b"<html>").shown.is_empty());
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

    const TOKEN: &str = "cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD";

    fn escaped(text: &str) -> String {
        text.chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect()
    }

    #[test]
    fn escaped_credentials_in_messages_are_redacted_after_decoding() {
        let redactor = Redactor::new([TOKEN]);
        for message in [
            escaped(TOKEN),
            format!("{}{}", &TOKEN[..15], escaped(&TOKEN[15..])),
            format!("Bearer {}", TOKEN.replace('_', "\\u005f")),
        ] {
            let body = format!(
                r#"{{"success":false,"errors":[{{"code":10000,"message":"bad token {message}"}}]}}"#
            );
            let shown = ShownBody::new(body.as_bytes(), None, &redactor);
            let described = shown.errors[0].describe();
            assert!(!described.contains("0123456789"), "{described}");
            assert!(described.contains("[REDACTED]"), "{described}");
            assert!(
                !shown.excerpt.contains("\\u0030\\u0031\\u0032"),
                "{}",
                shown.excerpt
            );
        }
    }

    #[test]
    fn many_and_huge_errors_are_bounded_and_cleaned() {
        let none = Redactor::default();
        let entry = r#"{"code":1,"message":"no"}"#;
        let many = format!(
            r#"{{"success":false,"errors":[{}]}}"#,
            vec![entry; 200_000].join(",")
        );
        let shown = ShownBody::new(many.as_bytes(), None, &none);
        assert_eq!(shown.errors.len(), ERRORS_SHOWN);
        assert_eq!(shown.omitted_errors, 200_000 - ERRORS_SHOWN);
        let huge = format!(
            r#"{{"success":false,"errors":[{{"code":2,"message":"{}"}}]}}"#,
            "m".repeat(9 << 20)
        );
        let shown = ShownBody::new(huge.as_bytes(), None, &none);
        assert!(shown.errors[0].describe().chars().count() <= MESSAGE_CHARS + 10);
        let ansi = r#"{"success":false,"errors":[{"code":3,"message":"\u001b[2J\u001b[HApply complete!\r\n"}]}"#;
        let shown = ShownBody::new(ansi.as_bytes(), None, &none);
        let described = shown.errors[0].describe();
        assert!(!described.chars().any(char::is_control), "{described:?}");
        assert!(!shown.excerpt.chars().any(|c| c.is_control() && c != '\n'));
    }
}
