//! The log of API requests that tests read back through `/__control/requests`.

use std::collections::BTreeMap;

use hyper::header::HeaderMap;
use serde::Serialize;
use serde_json::{json, Value};

use crate::auth::Credentials;

/// How many requests are kept; later ones are only counted.
pub const MAX_RECORDS: usize = 100_000;

/// Headers whose values are replaced by `REDACTED` in the log.
const SECRET_HEADERS: [&str; 3] = ["authorization", "x-auth-key", "x-auth-user-service-key"];

/// One API request as the control API reports it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Raw path, without the query.
    pub path: String,
    /// Raw query string, or null.
    pub query: Option<String>,
    /// `User-Agent` header, or null.
    pub user_agent: Option<String>,
    /// `bearer`, `other`, `key`, `service_key` or `none`.
    pub auth: &'static str,
    /// The bearer token sent, or null.
    pub token: Option<String>,
    /// Lowercased header names to values, secrets redacted; repeated headers joined by `, `.
    pub headers: BTreeMap<String, String>,
    /// The kind of fault applied to the request, or null.
    pub fault: Option<&'static str>,
}

impl RequestRecord {
    /// Builds a record from a request's parts.
    pub fn new(
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        credentials: &Credentials,
        fault: Option<&'static str>,
    ) -> Self {
        Self {
            method: method.to_string(),
            path: path.to_string(),
            query: query.map(str::to_owned),
            user_agent: headers
                .get(hyper::header::USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            auth: credentials.scheme.as_str(),
            token: credentials.token.clone(),
            headers: redacted_headers(headers),
            fault,
        }
    }
}

/// Header map with lowercase names and secret values replaced by `REDACTED`.
pub fn redacted_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let value = if SECRET_HEADERS.contains(&name) {
            "REDACTED".to_string()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.entry(name.to_string())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// Recorded API requests since start or the last reset.
#[derive(Debug, Default)]
pub struct Journal {
    records: Vec<RequestRecord>,
    count: u64,
    too_many: u64,
}

impl Journal {
    /// Records a request (only counted once [`MAX_RECORDS`] are kept).
    pub fn push(&mut self, record: RequestRecord) {
        self.count = self.count.saturating_add(1);
        if self.records.len() < MAX_RECORDS {
            self.records.push(record);
        }
    }

    /// Counts an answer 429 (too many requests) served.
    pub fn served_429(&mut self) {
        self.too_many = self.too_many.saturating_add(1);
    }

    /// Forgets every request; returns how many were counted.
    pub fn clear(&mut self) -> u64 {
        self.records.clear();
        self.too_many = 0;
        std::mem::take(&mut self.count)
    }

    /// `{"count": N, "served_429": M, "requests": [...]}`.
    pub fn to_json(&self) -> Value {
        json!({ "count": self.count, "served_429": self.too_many, "requests": self.records })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn secrets_are_redacted_and_repeats_joined() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer secret"));
        h.insert("x-auth-key", HeaderValue::from_static("k"));
        h.insert("x-auth-email", HeaderValue::from_static("a@b.c"));
        h.append("accept", HeaderValue::from_static("a"));
        h.append("accept", HeaderValue::from_static("b"));
        let r = redacted_headers(&h);
        assert_eq!(r["authorization"], "REDACTED");
        assert_eq!(r["x-auth-key"], "REDACTED");
        assert_eq!(r["x-auth-email"], "a@b.c");
        assert_eq!(r["accept"], "a, b");
    }
}
