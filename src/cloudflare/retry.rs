//! When to retry an API request and how long to wait first: exponential
//! backoff with jitter, unless the server says how long (`Retry-After-Ms`,
//! `Retry-After`, `X-RateLimit-Reset`). The client waits only when the wait
//! fits into what is left of the read's `read_timeout`, and otherwise stops
//! at once, saying how long the server asked for.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// The first backoff delay; each later one doubles.
pub(crate) const BASE_BACKOFF: Duration = Duration::from_millis(500);
/// The longest backoff delay.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Whether a response status is worth retrying: 408, 409, 429 and every 5xx.
/// Other 4xx mean the request itself is wrong and will fail the same way again.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// The delay before retry number `retry` (1 for the first retry): 0.5 s doubling
/// up to 30 s, with "equal jitter" (a random point in the upper half) so many
/// reads that failed together do not retry together.
pub(crate) fn backoff(retry: u32) -> Duration {
    let ceiling = full_backoff(retry);
    let half = ceiling / 2;
    half + half.mul_f64(fastrand::f64())
}

/// The backoff ceiling for retry number `retry`, before jitter.
pub(crate) fn full_backoff(retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(16);
    BASE_BACKOFF
        .saturating_mul(1u32 << doublings)
        .min(MAX_BACKOFF)
}

/// The wait the server asked for, if it asked and the wait is honoured.
///
/// `Retry-After-Ms` wins over `Retry-After` (seconds or an HTTP date); on a 429,
/// `X-RateLimit-Reset` (an HTTP date, seconds to wait, or a Unix time) is used
/// when neither is present. A wait too long for a `Duration` is
/// [`Duration::MAX`]: the caller, which has less time than that, stops.
pub(crate) fn server_wait(
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms") {
        seconds(ms).map(|s| duration(s / 1000.0))
    } else if let Some(after) = header("retry-after") {
        delay_or_date(after, now, false)
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        header("x-ratelimit-reset").and_then(|reset| delay_or_date(reset, now, true))
    } else {
        None
    }
}

/// `secs` seconds, saturating at [`Duration::MAX`].
fn duration(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// Non-negative finite seconds from header text.
fn seconds(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

/// Seconds to wait, or an HTTP date to wait until; with `epoch_allowed`, a
/// number that can only be a Unix time (after 2001) is read as one.
fn delay_or_date(text: &str, now: SystemTime, epoch_allowed: bool) -> Option<Duration> {
    if let Some(secs) = seconds(text) {
        const UNIX_TIME_FLOOR: f64 = 1_000_000_000.0;
        if epoch_allowed && secs >= UNIX_TIME_FLOOR {
            return Some(match SystemTime::UNIX_EPOCH.checked_add(duration(secs)) {
                Some(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
                None => Duration::MAX,
            });
        }
        return Some(duration(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
    }

    const TOO_MANY: StatusCode = StatusCode::TOO_MANY_REQUESTS;

    #[test]
    fn retries_transient_statuses_only() {
        for code in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [200, 400, 401, 403, 404, 405, 410, 422] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter_in_the_upper_half() {
        assert_eq!(full_backoff(1), Duration::from_millis(500));
        assert_eq!(full_backoff(2), Duration::from_secs(1));
        assert_eq!(full_backoff(4), Duration::from_secs(4));
        assert_eq!(full_backoff(7), Duration::from_secs(30));
        assert_eq!(full_backoff(u32::MAX), MAX_BACKOFF);
        for retry in 1..12 {
            for _ in 0..50 {
                let wait = backoff(retry);
                assert!(wait <= full_backoff(retry), "{retry}: {wait:?}");
                assert!(wait >= full_backoff(retry) / 2, "{retry}: {wait:?}");
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_and_milliseconds() {
        let ok = StatusCode::SERVICE_UNAVAILABLE;
        assert_eq!(
            server_wait(ok, &headers(&[("retry-after", "2")]), now()),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            server_wait(ok, &headers(&[("retry-after", "1.5")]), now()),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            server_wait(
                TOO_MANY,
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now()
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(server_wait(ok, &headers(&[]), now()), None);
        assert_eq!(
            server_wait(ok, &headers(&[("retry-after", "-1")]), now()),
            None
        );
        assert_eq!(
            server_wait(ok, &headers(&[("retry-after", "soon")]), now()),
            None
        );
    }

    #[test]
    fn retry_after_as_an_http_date() {
        let later = httpdate::fmt_http_date(now() + Duration::from_secs(7));
        assert_eq!(
            server_wait(TOO_MANY, &headers(&[("retry-after", &later)]), now()),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now() - Duration::from_secs(7));
        assert_eq!(
            server_wait(TOO_MANY, &headers(&[("retry-after", &past)]), now()),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn ratelimit_reset_counts_only_on_429_in_every_form() {
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(3));
        assert_eq!(
            server_wait(TOO_MANY, &headers(&[("x-ratelimit-reset", &date)]), now()),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            server_wait(TOO_MANY, &headers(&[("x-ratelimit-reset", "4")]), now()),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            server_wait(
                TOO_MANY,
                &headers(&[("x-ratelimit-reset", "1750000005")]),
                now()
            ),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            server_wait(
                StatusCode::BAD_GATEWAY,
                &headers(&[("x-ratelimit-reset", "4")]),
                now()
            ),
            None
        );
    }

    #[test]
    fn long_and_huge_waits_are_reported_as_asked() {
        assert_eq!(
            server_wait(TOO_MANY, &headers(&[("retry-after", "300")]), now()),
            Some(Duration::from_secs(300))
        );
        for huge in ["1e300", "1e30"] {
            for header in ["retry-after", "retry-after-ms", "x-ratelimit-reset"] {
                assert_eq!(
                    server_wait(TOO_MANY, &headers(&[(header, huge)]), now()),
                    Some(Duration::MAX),
                    "{header}: {huge}"
                );
            }
        }
        let far = httpdate::fmt_http_date(now() + Duration::from_secs(3600));
        assert_eq!(
            server_wait(TOO_MANY, &headers(&[("x-ratelimit-reset", &far)]), now()),
            Some(Duration::from_secs(3600))
        );
    }
}
