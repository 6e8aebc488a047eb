//! Cloudflare's request budget as the fake API enforces it: a quota per
//! fixed window (windows start when the server starts), part of the first
//! window possibly spent already by "other clients", and beyond the quota a
//! 429 (code 971, `Retry-After`) followed by a block during which every
//! request gets 429. Every answer carries `Ratelimit` and `Ratelimit-Policy`
//! unless they are switched off, as a proxy that strips them would.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

/// How the budget behaves; every field settable from the command line and
/// the control API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetConfig {
    /// Requests allowed per window.
    pub quota: u64,
    /// The window's length in seconds.
    pub window_s: u64,
    /// Requests of the first window already spent by other clients.
    pub spent: u64,
    /// How long a client that went over is blocked, in seconds.
    pub block_s: u64,
    /// Whether answers carry the rate-limit headers.
    pub headers: bool,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            quota: 1200,
            window_s: 300,
            spent: 0,
            block_s: 300,
            headers: true,
        }
    }
}

impl BudgetConfig {
    /// Checks the values; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.window_s == 0 || self.window_s > 86_400 {
            return Err(format!(
                "window_s {} is not between 1 and 86400",
                self.window_s
            ));
        }
        if self.block_s > 86_400 {
            return Err(format!("block_s {} is more than 86400", self.block_s));
        }
        Ok(())
    }
}

/// What the budget says about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Within the quota: answer normally.
    Allow,
    /// Over it, or blocked: answer 429 and ask to wait this many seconds.
    Reject {
        /// The `Retry-After` value.
        retry_after: u64,
    },
}

/// The budget's state.
#[derive(Debug)]
pub struct Budget {
    config: BudgetConfig,
    window_start: Instant,
    used: u64,
    blocked_until: Option<Instant>,
}

/// Whole seconds, rounded up, from `now` to `then` (0 when past).
fn seconds_until(now: Instant, then: Instant) -> u64 {
    let left = then.saturating_duration_since(now);
    let whole = left.as_secs();
    if left.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    }
}

impl Budget {
    /// A budget whose first window starts at `now`.
    pub fn new(config: BudgetConfig, now: Instant) -> Self {
        Self {
            used: config.spent,
            config,
            window_start: now,
            blocked_until: None,
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.config.window_s)
    }

    /// Moves to the window `now` falls in.
    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= self.window() {
            let windows = elapsed.as_secs() / self.config.window_s;
            self.window_start += Duration::from_secs(windows * self.config.window_s);
            self.used = 0;
        }
    }

    /// Counts one API request at `now`; says whether it is served.
    pub fn hit(&mut self, now: Instant) -> Verdict {
        self.roll(now);
        if let Some(until) = self.blocked_until.filter(|until| *until > now) {
            return Verdict::Reject {
                retry_after: seconds_until(now, until),
            };
        }
        if self.used >= self.config.quota {
            let until = now + Duration::from_secs(self.config.block_s);
            self.blocked_until = Some(until);
            return Verdict::Reject {
                retry_after: self.config.block_s,
            };
        }
        self.used += 1;
        Verdict::Allow
    }

    /// The `Ratelimit` and `Ratelimit-Policy` values for an answer at `now`,
    /// or none when headers are off.
    pub fn headers(&mut self, now: Instant) -> Option<[(&'static str, String); 2]> {
        if !self.config.headers {
            return None;
        }
        self.roll(now);
        let window_end = self.window_start + self.window();
        let blocked = self.blocked_until.filter(|until| *until > now);
        let (remaining, reset) = match blocked {
            Some(until) => (0, seconds_until(now, until.max(window_end))),
            None => (
                self.config.quota.saturating_sub(self.used),
                seconds_until(now, window_end),
            ),
        };
        Some([
            ("ratelimit", format!("\"default\";r={remaining};t={reset}")),
            (
                "ratelimit-policy",
                format!(
                    "\"default\";q={};w={}",
                    self.config.quota, self.config.window_s
                ),
            ),
        ])
    }

    /// Adds `count` requests spent by other clients in the current window.
    pub fn spend(&mut self, now: Instant, count: u64) {
        self.roll(now);
        self.used = self.used.saturating_add(count);
    }

    /// Replaces the configuration; a new first window starts at `now`.
    pub fn reconfigure(&mut self, config: BudgetConfig, now: Instant) {
        *self = Self::new(config, now);
    }

    /// The state now, for `/__control/budget`.
    pub fn report(&mut self, now: Instant) -> Value {
        self.roll(now);
        json!({
            "quota": self.config.quota,
            "window_s": self.config.window_s,
            "block_s": self.config.block_s,
            "headers": self.config.headers,
            "used": self.used,
            "remaining": self.config.quota.saturating_sub(self.used),
            "reset_in_s": seconds_until(now, self.window_start + self.window()),
            "blocked_for_s": self.blocked_until.map_or(0, |until| seconds_until(now, until)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(quota: u64, window_s: u64, spent: u64, block_s: u64) -> BudgetConfig {
        BudgetConfig {
            quota,
            window_s,
            spent,
            block_s,
            headers: true,
        }
    }

    #[test]
    fn serves_the_quota_then_blocks_everything_for_the_block() {
        let start = Instant::now();
        let mut budget = Budget::new(config(3, 10, 1, 20), start);
        assert_eq!(budget.hit(start), Verdict::Allow);
        assert_eq!(budget.hit(start), Verdict::Allow);
        assert_eq!(budget.hit(start), Verdict::Reject { retry_after: 20 });
        let later = start + Duration::from_secs(12);
        assert_eq!(budget.hit(later), Verdict::Reject { retry_after: 8 });
        assert_eq!(budget.hit(start + Duration::from_secs(20)), Verdict::Allow);
    }

    #[test]
    fn windows_are_fixed_and_refill() {
        let start = Instant::now();
        let mut budget = Budget::new(config(2, 10, 0, 5), start);
        assert_eq!(budget.hit(start), Verdict::Allow);
        assert_eq!(budget.hit(start), Verdict::Allow);
        let headers = budget
            .headers(start + Duration::from_millis(300))
            .expect("headers");
        assert_eq!(headers[0].1, "\"default\";r=0;t=10");
        assert_eq!(headers[1].1, "\"default\";q=2;w=10");
        let next = start + Duration::from_secs(25);
        assert_eq!(budget.hit(next), Verdict::Allow);
        let headers = budget.headers(next).expect("headers");
        assert_eq!(headers[0].1, "\"default\";r=1;t=5");
    }

    #[test]
    fn others_can_spend_and_headers_can_be_off() {
        let start = Instant::now();
        let mut budget = Budget::new(config(5, 10, 0, 5), start);
        budget.spend(start, 5);
        assert_eq!(budget.hit(start), Verdict::Reject { retry_after: 5 });
        let mut quiet = Budget::new(
            BudgetConfig {
                headers: false,
                ..config(5, 10, 0, 5)
            },
            start,
        );
        assert!(quiet.headers(start).is_none());
        assert!(config(1, 0, 0, 0).validate().is_err());
        assert!(BudgetConfig::default().validate().is_ok());
    }
}
