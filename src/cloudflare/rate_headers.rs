//! Cloudflare's rate-limit headers, read leniently: `Ratelimit` (per limit,
//! the requests remaining `r` and the seconds until the window resets `t`)
//! and `Ratelimit-Policy` (per policy, the quota `q` per window of `w`
//! seconds), both lists of structured-field items (RFC 9651) that may hold
//! several items. Each item is parsed on its own with `sfv`, so one malformed
//! item costs only itself; numbers are clamped, never trusted.

use std::time::Duration;

use reqwest::header::HeaderMap;
use sfv::{BareItem, ListEntry, Parser};

/// The longest reset or window believed: Cloudflare's documented window.
/// Bigger values (a garbled header) are cut to it, so no header can hold
/// requests back for longer.
pub(crate) const MAX_WINDOW: Duration = Duration::from_secs(300);

/// One item of `Ratelimit`: where a limit stands now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LimitStatus {
    /// The limit's name (`default`, …).
    pub name: String,
    /// Requests left in the current window.
    pub remaining: u64,
    /// Time until the window resets, at most [`MAX_WINDOW`].
    pub reset_in: Duration,
}

/// One item of `Ratelimit-Policy`: a quota per window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    /// The policy's name.
    pub name: String,
    /// Requests allowed per window.
    pub quota: u64,
    /// The window's length, at most [`MAX_WINDOW`].
    pub window: Duration,
}

/// What one response says about the budget.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RateHeaders {
    /// The `Ratelimit` items that could be read.
    pub limits: Vec<LimitStatus>,
    /// The `Ratelimit-Policy` items that could be read.
    pub policies: Vec<Policy>,
}

impl RateHeaders {
    /// Reads both headers (every occurrence); `None` when neither yields an item.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_string)
                .collect()
        };
        let parsed = Self {
            limits: values("ratelimit")
                .iter()
                .flat_map(|v| items(v))
                .filter_map(|(name, params)| limit_status(name, &params))
                .collect(),
            policies: values("ratelimit-policy")
                .iter()
                .flat_map(|v| items(v))
                .filter_map(|(name, params)| policy(name, &params))
                .collect(),
        };
        (!parsed.limits.is_empty() || !parsed.policies.is_empty()).then_some(parsed)
    }
}

fn limit_status(name: String, params: &[(String, f64)]) -> Option<LimitStatus> {
    Some(LimitStatus {
        name,
        remaining: count(param(params, "r")?),
        reset_in: seconds(param(params, "t")?),
    })
}

fn policy(name: String, params: &[(String, f64)]) -> Option<Policy> {
    let window = seconds(param(params, "w")?);
    let quota = count(param(params, "q")?);
    (!window.is_zero()).then_some(Policy {
        name,
        quota,
        window,
    })
}

fn param(params: &[(String, f64)], key: &str) -> Option<f64> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

/// A count from a header number: negative is 0.
fn count(value: f64) -> u64 {
    if value <= 0.0 {
        0
    } else {
        // Integers in headers are at most 15 digits, well within u64.
        value.floor() as u64
    }
}

/// A duration from header seconds: negative is 0, beyond [`MAX_WINDOW`] is cut.
fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0))
        .unwrap_or(MAX_WINDOW)
        .min(MAX_WINDOW)
}

/// The items of a list-valued field: each item's name and numeric parameters.
/// Items that do not parse, inner lists and non-numeric parameters are skipped.
fn items(field: &str) -> Vec<(String, Vec<(String, f64)>)> {
    split_members(field)
        .into_iter()
        .filter_map(|member| {
            let list = Parser::new(&tidy(member)).parse::<sfv::List>().ok()?;
            match list.into_iter().next()? {
                ListEntry::Item(item) => {
                    let name = match &item.bare_item {
                        BareItem::String(s) => s.as_str().to_string(),
                        BareItem::Token(t) => t.as_str().to_string(),
                        _ => return None,
                    };
                    let params = item
                        .params
                        .iter()
                        .filter_map(|(key, value)| {
                            let number = match value {
                                BareItem::Integer(i) => i64::from(*i) as f64,
                                BareItem::Decimal(d) => f64::from(*d),
                                _ => return None,
                            };
                            Some((key.as_str().to_string(), number))
                        })
                        .collect();
                    Some((name, params))
                }
                ListEntry::InnerList(_) => None,
            }
        })
        .collect()
}

/// Splits a field at the commas between members (not inside quoted strings).
fn split_members(field: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (index, c) in field.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                members.push(&field[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    members.push(&field[start..]);
    members
}

/// One member with the spacing the RFC does not allow (around `;` and `=`,
/// tabs) removed outside quoted strings, so a sloppy server still counts.
fn tidy(member: &str) -> String {
    let mut out = String::with_capacity(member.len());
    let mut quoted = false;
    let mut escaped = false;
    for c in member.trim().chars() {
        if quoted {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                out.push(c);
            }
            ' ' | '\t' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    fn limits(value: &str) -> Vec<LimitStatus> {
        RateHeaders::from_headers(&headers(&[("ratelimit", value)]))
            .map(|h| h.limits)
            .unwrap_or_default()
    }

    fn limit(name: &str, remaining: u64, secs: u64) -> LimitStatus {
        LimitStatus {
            name: name.to_string(),
            remaining,
            reset_in: Duration::from_secs(secs),
        }
    }

    #[test]
    fn reads_the_documented_headers() {
        let parsed = RateHeaders::from_headers(&headers(&[
            ("Ratelimit", "\"default\";r=50;t=30"),
            ("Ratelimit-Policy", "\"default\";q=1200;w=300"),
        ]))
        .expect("parsed");
        assert_eq!(parsed.limits, [limit("default", 50, 30)]);
        assert_eq!(
            parsed.policies,
            [Policy {
                name: "default".into(),
                quota: 1200,
                window: Duration::from_secs(300)
            }]
        );
    }

    #[test]
    fn reads_several_items_in_one_field_and_across_fields() {
        assert_eq!(
            limits("\"default\";r=50;t=30, \"burst\";r=5;t=1"),
            [limit("default", 50, 30), limit("burst", 5, 1)]
        );
        let parsed = RateHeaders::from_headers(&headers(&[
            ("ratelimit", "\"a\";r=1;t=2"),
            ("ratelimit", "b;r=3;t=4"),
        ]))
        .expect("parsed");
        assert_eq!(parsed.limits, [limit("a", 1, 2), limit("b", 3, 4)]);
        assert_eq!(
            limits("\"a,b\";r=1;t=2, c;r=2;t=3"),
            [limit("a,b", 1, 2), limit("c", 2, 3)]
        );
    }

    #[test]
    fn odd_spacing_is_tolerated() {
        for odd in [
            "\"default\" ; r = 50 ; t = 30",
            "  \"default\";r=50;t=30  ",
            "\"default\";\tr=50;t=30",
            "\"default\";r=50;t=30 ,",
        ] {
            assert_eq!(limits(odd), [limit("default", 50, 30)], "{odd:?}");
        }
    }

    #[test]
    fn missing_or_malformed_parameters_cost_only_their_item() {
        assert_eq!(limits("\"a\";r=5, \"b\";r=6;t=7"), [limit("b", 6, 7)]);
        assert_eq!(limits("\"a\";t=5"), []);
        assert_eq!(limits("\"a\";r=x;t=5, \"b\";r=1;t=1"), [limit("b", 1, 1)]);
        assert_eq!(limits("\"a\";r=\"5\";t=5"), []);
        assert_eq!(limits("(\"inner\" \"list\");r=1;t=1"), []);
        assert_eq!(limits("\"unterminated;r=1;t=1"), []);
        assert_eq!(limits(""), []);
        assert_eq!(limits(",,,"), []);
        assert_eq!(limits("5;r=1;t=1"), []);
        assert_eq!(
            limits("\"a\";r=1.5;t=2.5"),
            [limit("a", 1, 0)].map(|mut l| {
                l.reset_in = Duration::from_millis(2500);
                l
            })
        );
        assert!(RateHeaders::from_headers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn huge_and_negative_numbers_never_mean_a_long_wait() {
        assert_eq!(limits("\"a\";r=-5;t=-3"), [limit("a", 0, 0)]);
        assert_eq!(
            limits("\"a\";r=10;t=999999999999999"),
            [limit("a", 10, 300)]
        );
        assert_eq!(limits("\"a\";r=1;t=99999999999999999999999"), []);
        assert_eq!(
            limits("\"a\";r=999999999999999;t=1")[0].remaining,
            999_999_999_999_999
        );
        let policy = RateHeaders::from_headers(&headers(&[(
            "ratelimit-policy",
            "\"a\";q=10;w=86400, \"b\";q=10;w=0, \"c\";q=-1;w=60",
        )]))
        .expect("parsed")
        .policies;
        assert_eq!(policy.len(), 2);
        assert_eq!(policy[0].window, MAX_WINDOW);
        assert_eq!(policy[1].quota, 0);
    }
}
