//! Fault injection: a queue of rules that make API requests misbehave on purpose.

use std::collections::BTreeMap;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The largest `delay_ms` a rule may ask for (one hour).
pub const MAX_DELAY_MS: u64 = 3_600_000;
/// The largest `size_bytes` an `oversize` rule may ask for (1 GiB).
pub const MAX_OVERSIZE_BYTES: u64 = 1 << 30;
/// The default size of an `oversize` body (12 MiB).
pub const DEFAULT_OVERSIZE_BYTES: u64 = 12 << 20;

/// How a matching request misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with the rule's status, body, JSON and headers (or pass through if none given).
    #[default]
    Respond,
    /// Drop the connection without a response (TCP reset).
    Reset,
    /// Send 200 with the full body's Content-Length, write half of it, then close.
    Truncate,
    /// Send 200 with a complete response whose JSON body is cut in half.
    TruncateJson,
    /// Send an HTML error page (502 unless `status` says otherwise).
    Html,
    /// Stream a valid-looking JSON body larger than 11 MiB.
    Oversize,
    /// Send the normal answer's head and first half, pause `delay_ms`
    /// (default 10 s), then the rest: a body that arrives too slowly.
    SlowBody,
    /// Answer (400 unless `status` says otherwise) with the request's headers
    /// echoed verbatim, secrets included, as a misbehaving proxy does: in
    /// `body` where it says `{headers}`, or in an error envelope's message.
    EchoHeaders,
}

impl FaultKind {
    /// The name used in rules and in the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Respond => "respond",
            FaultKind::Reset => "reset",
            FaultKind::Truncate => "truncate",
            FaultKind::TruncateJson => "truncate_json",
            FaultKind::Html => "html",
            FaultKind::Oversize => "oversize",
            FaultKind::EchoHeaders => "echo_headers",
            FaultKind::SlowBody => "slow_body",
        }
    }
}

/// Deserializes a present field, keeping an explicit `null` as `Some(Value::Null)`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// One fault rule as posted to `/__control/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Substring of the request target (path plus `?query`) that the rule applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// HTTP method the rule applies to (any if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// How many requests the rule applies to; absent means forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Response status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Raw response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// JSON response body.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub json: Option<Value>,
    /// Extra response headers (override the defaults).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Delay before answering, in milliseconds (for `slow_body`: the pause mid-body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// What kind of misbehaviour.
    #[serde(default)]
    pub kind: FaultKind,
    /// Body size for `oversize` (default 12 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// For `oversize`: send without Content-Length (chunked).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chunked: bool,
}

impl FaultRule {
    /// Checks the rule's values; the error names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(status) = self.status {
            if !(200..=599).contains(&status) || StatusCode::from_u16(status).is_err() {
                return Err(format!("status {status} is not between 200 and 599"));
            }
        }
        if self.body.is_some() && self.json.is_some() {
            return Err("give either body or json, not both".into());
        }
        if let Some(method) = &self.method {
            Method::from_bytes(method.as_bytes())
                .map_err(|_| format!("method {method:?} is not an HTTP method"))?;
        }
        for (name, value) in &self.headers {
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("header name {name:?} is invalid"))?;
            HeaderValue::from_str(value)
                .map_err(|_| format!("header {name:?} has an invalid value"))?;
        }
        if self.delay_ms.is_some_and(|d| d > MAX_DELAY_MS) {
            return Err(format!("delay_ms is above {MAX_DELAY_MS}"));
        }
        if self.size_bytes.is_some_and(|s| s > MAX_OVERSIZE_BYTES) {
            return Err(format!("size_bytes is above {MAX_OVERSIZE_BYTES}"));
        }
        Ok(())
    }

    /// Whether the rule applies to a request with this method and target (path plus `?query`).
    pub fn matches(&self, method: &str, target: &str) -> bool {
        self.path_contains
            .as_deref()
            .is_none_or(|p| target.contains(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    /// Whether a `respond` rule only delays or adds headers, letting the normal answer through.
    pub fn passes_through(&self) -> bool {
        self.kind == FaultKind::Respond
            && self.status.is_none()
            && self.body.is_none()
            && self.json.is_none()
    }
}

#[derive(Debug)]
struct Queued {
    rule: FaultRule,
    left: Option<u64>,
}

/// The ordered fault rules still in force.
#[derive(Debug, Default)]
pub struct FaultQueue {
    rules: Vec<Queued>,
}

impl FaultQueue {
    /// Appends rules (rules with `times: 0` are dropped at once).
    pub fn extend(&mut self, rules: Vec<FaultRule>) {
        for rule in rules {
            let left = rule.times;
            if left != Some(0) {
                self.rules.push(Queued { rule, left });
            }
        }
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.rules).len()
    }

    /// How many rules are queued.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Finds the first rule matching the request, uses up one of its times, and returns it.
    pub fn take(&mut self, method: &str, target: &str) -> Option<FaultRule> {
        let pos = self
            .rules
            .iter()
            .position(|q| q.rule.matches(method, target))?;
        let entry = self.rules.get_mut(pos)?;
        let rule = entry.rule.clone();
        if let Some(left) = entry.left.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.rules.remove(pos);
            }
        }
        Some(rule)
    }

    /// The queued rules as JSON, each with `times_left` (null = forever).
    pub fn snapshot(&self) -> Value {
        let rules = self
            .rules
            .iter()
            .map(|q| {
                let mut v = serde_json::to_value(&q.rule).unwrap_or(Value::Null);
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("times_left".into(), q.left.map_or(Value::Null, Value::from));
                }
                v
            })
            .collect();
        Value::Array(rules)
    }
}

/// Parses a posted body: an array of rules or a single rule object.
pub fn parse_rules(body: &[u8]) -> Result<Vec<FaultRule>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let rules: Vec<FaultRule> = match value {
        Value::Array(_) => serde_json::from_value(value),
        other => serde_json::from_value(other).map(|r| vec![r]),
    }
    .map_err(|e| format!("invalid fault rule: {e}"))?;
    for (n, rule) in rules.iter().enumerate() {
        rule.validate()
            .map_err(|e| format!("fault rule {n}: {e}"))?;
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Vec<FaultRule> {
        parse_rules(json.as_bytes()).unwrap()
    }

    #[test]
    fn first_matching_rule_is_used_and_decremented() {
        let mut q = FaultQueue::default();
        q.extend(rules(
            r#"[{"path_contains":"/abc","times":2,"status":500},{"times":1,"status":429},{"status":503}]"#,
        ));
        assert_eq!(q.take("GET", "/x/abc").and_then(|r| r.status), Some(500));
        assert_eq!(q.take("GET", "/x/def").and_then(|r| r.status), Some(429));
        assert_eq!(q.take("GET", "/x/abc").and_then(|r| r.status), Some(500));
        // Both limited rules are used up; the unlimited one stays forever.
        assert_eq!(q.len(), 1);
        for _ in 0..3 {
            assert_eq!(q.take("GET", "/x/abc").and_then(|r| r.status), Some(503));
        }
        assert_eq!(q.clear(), 1);
        assert!(q.take("GET", "/x").is_none());
    }

    #[test]
    fn matches_query_and_method() {
        let mut q = FaultQueue::default();
        q.extend(rules(r#"[{"path_contains":"page=2","method":"get","kind":"reset"},{"times":0,"status":500}]"#));
        assert_eq!(q.len(), 1);
        assert!(q.take("GET", "/l?page=1").is_none());
        assert!(q.take("POST", "/l?page=2").is_none());
        assert_eq!(
            q.take("GET", "/l?page=2").map(|r| r.kind),
            Some(FaultKind::Reset)
        );
    }

    #[test]
    fn parsing_and_validation() {
        let r = &rules(r#"{"json":null,"delay_ms":5,"kind":"truncate_json"}"#)[0];
        assert_eq!(r.json, Some(Value::Null));
        assert_eq!(r.kind, FaultKind::TruncateJson);
        assert!(!r.passes_through());
        assert!(rules(r#"[{"delay_ms":5,"headers":{"x-a":"b"}}]"#)[0].passes_through());
        for bad in [
            r#"[{"status":99}]"#,
            r#"[{"status":700}]"#,
            r#"[{"body":"x","json":1}]"#,
            r#"[{"kind":"explode"}]"#,
            r#"[{"path":"/x"}]"#,
            r#"[{"headers":{"bad name":"v"}}]"#,
            r#"[{"delay_ms":99999999999}]"#,
            r#"[1]"#,
            "not json",
        ] {
            assert!(parse_rules(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn snapshot_reports_times_left() {
        let mut q = FaultQueue::default();
        q.extend(rules(r#"[{"times":3,"status":500},{"kind":"html"}]"#));
        q.take("GET", "/");
        let snap = q.snapshot();
        assert_eq!(snap[0]["times_left"], 2);
        assert_eq!(snap[1]["times_left"], Value::Null);
        assert_eq!(snap[1]["kind"], "html");
    }
}
