//! The client-side request rate: one limiter shared by every read in the
//! process, so a plan with thousands of data sources stays under Cloudflare's
//! 1200 requests per 5 minutes, plus a shared pause after a 429 so concurrent
//! reads back off together instead of each meeting the limit on its own.

use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// Paces API requests for the whole process.
pub struct Throttle {
    limiter: Option<DefaultDirectRateLimiter>,
    clock: DefaultClock,
    paused_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("limited", &self.limiter.is_some())
            .finish()
    }
}

impl Throttle {
    /// A throttle allowing `per_second` requests per second on average, with a
    /// burst of the same size (at least one); 0 or less turns limiting off.
    pub fn new(per_second: f64) -> Self {
        Self {
            limiter: quota(per_second).map(RateLimiter::direct),
            clock: DefaultClock::default(),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits until a request may be sent. Every wait is a tokio sleep, so
    /// dropping the future (a cancelled read) stops waiting at once.
    pub async fn ready(&self) {
        loop {
            if let Some(until) = self.pause_deadline() {
                if until > Instant::now() {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
            }
            let Some(limiter) = &self.limiter else {
                return;
            };
            match limiter.check() {
                Ok(()) => return,
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
                }
            }
        }
    }

    /// Holds back every request in the process for `wait` (after a 429).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut slot = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none_or(|current| current < until) {
            *slot = Some(until);
        }
    }

    fn pause_deadline(&self) -> Option<Instant> {
        *self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The governor quota for a rate, or `None` for no limit.
fn quota(per_second: f64) -> Option<Quota> {
    if !per_second.is_finite() || per_second <= 0.0 {
        return None;
    }
    let period = Duration::try_from_secs_f64(1.0 / per_second).ok()?;
    // A burst as large as one second's allowance: small enough that any five
    // minutes stay within rate × 300 + burst requests.
    let burst = NonZeroU32::new(per_second.ceil().clamp(1.0, 10_000.0) as u32)?;
    Some(Quota::with_period(period.max(Duration::from_nanos(1)))?.allow_burst(burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paces_requests_after_the_burst() {
        let throttle = Throttle::new(20.0);
        let started = std::time::Instant::now();
        for _ in 0..25 {
            throttle.ready().await;
        }
        let took = started.elapsed();
        // 20 pass at once, the other 5 come 50 ms apart.
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let throttle = Throttle::new(0.0);
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            throttle.ready().await;
        }
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[tokio::test]
    async fn a_pause_holds_back_later_requests() {
        let throttle = Throttle::new(0.0);
        throttle.pause_for(Duration::from_millis(150));
        throttle.pause_for(Duration::from_millis(10));
        let started = std::time::Instant::now();
        throttle.ready().await;
        assert!(started.elapsed() >= Duration::from_millis(140));
    }

    #[test]
    fn quotas() {
        assert!(quota(0.0).is_none());
        assert!(quota(-1.0).is_none());
        assert!(quota(f64::NAN).is_none());
        let q = quota(3.0).expect("quota");
        assert_eq!(q.burst_size().get(), 3);
        assert_eq!(quota(0.5).expect("quota").burst_size().get(), 1);
    }
}
