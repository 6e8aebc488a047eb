//! When the next API request may go: the shared [`Budget`] driven by
//! Cloudflare's rate-limit headers, the optional fixed cap of `rate_limit`
//! requests per second, and the pause every read takes after a 429. One
//! throttle serves every read of the provider process; waiting is a tokio
//! sleep, so a cancelled read stops waiting at once. It says in the log when
//! pacing starts and stops and when a read waits long.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::cloudflare::budget::{Admission, Budget, Snapshot, State};
use crate::cloudflare::rate_headers::RateHeaders;

/// A wait for the budget longer than this is logged at WARN.
pub(crate) const LOG_WAIT_AFTER: Duration = Duration::from_secs(5);

/// How long one read waited before its requests could go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Waited {
    /// Time spent waiting (for the budget, the cap or a 429 pause).
    pub duration: Duration,
    /// Where the budget stood when the wait began, when known.
    pub at_start: Option<Snapshot>,
}

impl Waited {
    /// Adds another wait of the same read.
    pub fn add(&mut self, more: Waited) {
        self.duration += more.duration;
        if self.at_start.is_none() {
            self.at_start = more.at_start;
        }
    }
}

/// What a request would have waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitFor {
    /// The pause every read takes after Cloudflare answered 429.
    Pause,
    /// The fixed cap of `rate_limit` requests per second.
    Cap,
    /// Cloudflare's request budget to recover (its window to reset, or the
    /// answers of requests in flight to say where it stands).
    Budget,
}

/// A request that could not go before its read's deadline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TooLong {
    /// What it would have waited for.
    pub reason: WaitFor,
    /// How long it would have had to wait from the moment it gave up, when known.
    pub needed: Option<Duration>,
}

/// `Ok` when a wait for `reason` until `until` ends by `deadline`.
fn fits(reason: WaitFor, until: Instant, now: Instant, deadline: Instant) -> Result<(), TooLong> {
    if until <= deadline {
        return Ok(());
    }
    Err(TooLong {
        reason,
        needed: Some(until.saturating_duration_since(now)),
    })
}

/// Paces API requests for the whole process.
pub(crate) struct Throttle {
    budget: Mutex<Budget>,
    answered: Notify,
    cap: Option<DefaultDirectRateLimiter>,
    clock: DefaultClock,
    paused_until: Mutex<Option<Instant>>,
    pacing: AtomicBool,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("capped", &self.cap.is_some())
            .finish()
    }
}

/// Permission to send one request. Report its answer with
/// [`Ticket::answered`]; dropping it unanswered (a connection error, a
/// cancelled read) frees its place in the budget.
#[must_use = "a ticket holds a place in the budget until answered or dropped"]
pub(crate) struct Ticket<'t> {
    throttle: &'t Throttle,
    probe: bool,
    open: bool,
}

impl Ticket<'_> {
    /// The request was answered with these headers.
    pub(crate) fn answered(mut self, headers: &HeaderMap) {
        self.open = false;
        let parsed = RateHeaders::from_headers(headers);
        self.throttle
            .budget()
            .answered(Instant::now(), self.probe, parsed.as_ref());
        self.throttle.answered.notify_waiters();
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.open {
            self.throttle.budget().abandoned(self.probe);
            self.throttle.answered.notify_waiters();
        }
    }
}

impl Throttle {
    /// A throttle with the budget and, when `per_second` is above 0, a fixed
    /// cap of that many requests per second (burst of one second's worth).
    pub(crate) fn new(per_second: f64) -> Self {
        Self {
            budget: Mutex::new(Budget::new()),
            answered: Notify::new(),
            cap: quota(per_second).map(RateLimiter::direct),
            clock: DefaultClock::default(),
            paused_until: Mutex::new(None),
            pacing: AtomicBool::new(false),
        }
    }

    /// Waits until a request may be sent, but never past `deadline`: returns
    /// the permission and the wait, or, at once, why the request could not
    /// go by then (a wait that would end after it, or one still going on at it).
    pub(crate) async fn ready(&self, deadline: Instant) -> Result<(Ticket<'_>, Waited), TooLong> {
        let started = Instant::now();
        let mut waited = Waited::default();
        let mut warned = false;
        loop {
            let now = Instant::now();
            if let Some(until) = self.pause_deadline().filter(|until| *until > now) {
                fits(WaitFor::Pause, until, now, deadline)?;
                self.note_start(&mut waited, now);
                self.sleep(until, started, &mut warned, None).await;
                continue;
            }
            if let Some(cap) = &self.cap {
                if let Err(not_until) = cap.check() {
                    let until = now + not_until.wait_time_from(self.clock.now());
                    fits(WaitFor::Cap, until, now, deadline)?;
                    self.sleep(until, started, &mut warned, None).await;
                    continue;
                }
            }
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let admission = self.budget().admit(now);
            match admission {
                Admission::Go { state, probe } => {
                    self.note_state(state, now);
                    waited.duration = started.elapsed();
                    let ticket = Ticket {
                        throttle: self,
                        probe,
                        open: true,
                    };
                    return Ok((ticket, waited));
                }
                Admission::Wait { state, until } => {
                    self.note_state(state, now);
                    self.note_start(&mut waited, now);
                    let until = match until {
                        Some(until) => {
                            fits(WaitFor::Budget, until, now, deadline)?;
                            until
                        }
                        // Only an answer can tell: wait for one until the deadline.
                        None if now < deadline => deadline,
                        None => {
                            return Err(TooLong {
                                reason: WaitFor::Budget,
                                needed: None,
                            })
                        }
                    };
                    self.sleep(until, started, &mut warned, Some(answered))
                        .await;
                }
            }
        }
    }

    /// Holds back every request in the process for `wait` (after a 429).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else {
            return;
        };
        let mut slot = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none_or(|current| current < until) {
            *slot = Some(until);
        }
    }

    fn budget(&self) -> MutexGuard<'_, Budget> {
        self.budget.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pause_deadline(&self) -> Option<Instant> {
        *self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn note_start(&self, waited: &mut Waited, now: Instant) {
        if waited.at_start.is_none() {
            waited.at_start = self.budget().snapshot(now);
        }
    }

    /// Logs when pacing starts and stops (holding counts as pacing; a probe
    /// changes nothing, as it only finds out which it is).
    fn note_state(&self, state: State, now: Instant) {
        if state == State::Probing {
            return;
        }
        let pacing = matches!(state, State::Pacing | State::Holding);
        if self.pacing.swap(pacing, Ordering::Relaxed) == pacing {
            return;
        }
        match (pacing, self.budget().snapshot(now)) {
            (true, Some(s)) => tracing::info!(
                remaining = s.remaining,
                reserve = s.reserve,
                reset_in_s = s.reset_in.as_secs_f64(),
                quota = s.quota,
                "Cloudflare API budget running low: pacing requests so that it lasts until the window resets"
            ),
            (true, None) => tracing::info!("Cloudflare API budget reached: holding requests"),
            (false, _) => tracing::info!("Cloudflare API budget: pacing stopped, full speed"),
        }
    }

    /// Sleeps until `until`, or until an answer arrives when `answered` is
    /// given; logs once when the whole wait passes [`LOG_WAIT_AFTER`].
    async fn sleep(
        &self,
        until: Instant,
        started: Instant,
        warned: &mut bool,
        answered: Option<std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>>,
    ) {
        let warn_at = started + LOG_WAIT_AFTER;
        let wake = if *warned { until } else { until.min(warn_at) };
        match answered {
            Some(answered) => {
                tokio::select! {
                    () = answered => {}
                    () = tokio::time::sleep_until(wake) => {}
                }
            }
            None => tokio::time::sleep_until(wake).await,
        }
        if !*warned && Instant::now() >= warn_at {
            *warned = true;
            let snapshot = self.budget().snapshot(Instant::now());
            tracing::warn!(
                waited_s = started.elapsed().as_secs_f64(),
                remaining = snapshot.as_ref().map(|s| s.remaining),
                reset_in_s = snapshot.as_ref().map(|s| s.reset_in.as_secs_f64()),
                "a read has waited more than 5 s for Cloudflare's API budget"
            );
        }
    }
}

/// The governor quota for a rate, or `None` for no fixed cap.
fn quota(per_second: f64) -> Option<Quota> {
    if !per_second.is_finite() || per_second <= 0.0 {
        return None;
    }
    // Validation keeps rate_limit at 0.01 or more; a smaller rate still gets
    // the longest period rather than none at all.
    let period = Duration::try_from_secs_f64(1.0 / per_second).unwrap_or(Duration::from_secs(100));
    // A burst as large as one second's allowance.
    let burst = NonZeroU32::new(per_second.ceil().clamp(1.0, 10_000.0) as u32)?;
    Some(Quota::with_period(period.max(Duration::from_nanos(1)))?.allow_burst(burst))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// A deadline no test reaches.
    fn far() -> Instant {
        Instant::now() + Duration::from_secs(86_400)
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_fails_at_once_with_its_reason() {
        let throttle = Throttle::new(0.0);
        throttle.pause_for(Duration::from_secs(300));
        let started = Instant::now();
        let too_long = throttle
            .ready(Instant::now() + Duration::from_secs(30))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(too_long.reason, WaitFor::Pause);
        assert_eq!(too_long.needed, Some(Duration::from_secs(300)));
        assert_eq!(started.elapsed(), Duration::ZERO, "it did not wait");

        let budget = Throttle::new(0.0);
        let (ticket, _) = budget.ready(far()).await.expect("first");
        ticket.answered(&rate_headers(0, 10));
        let too_long = budget
            .ready(Instant::now() + Duration::from_secs(5))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(too_long.reason, WaitFor::Budget);
        assert!(too_long
            .needed
            .is_some_and(|n| n >= Duration::from_secs(10)));

        let capped = Throttle::new(0.01);
        let (ticket, _) = capped.ready(far()).await.expect("first");
        drop(ticket);
        let too_long = capped
            .ready(Instant::now() + Duration::from_secs(10))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(too_long.reason, WaitFor::Cap);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_answers_stops_at_the_deadline() {
        let throttle = Throttle::new(0.0);
        let (_probe, _) = throttle.ready(far()).await.expect("probe");
        let started = Instant::now();
        let too_long = throttle
            .ready(Instant::now() + Duration::from_secs(5))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            too_long,
            TooLong {
                reason: WaitFor::Budget,
                needed: None
            }
        );
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    fn rate_headers(remaining: u64, reset: u64) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            "ratelimit",
            HeaderValue::from_str(&format!("\"default\";r={remaining};t={reset}")).expect("header"),
        );
        map.insert(
            "ratelimit-policy",
            HeaderValue::from_static("\"default\";q=100;w=15"),
        );
        map
    }

    #[tokio::test]
    async fn the_fixed_cap_paces_after_its_burst() {
        let throttle = Throttle::new(20.0);
        let started = std::time::Instant::now();
        let (ticket, _) = throttle.ready(far()).await.expect("no deadline");
        ticket.answered(&HeaderMap::new());
        for _ in 0..24 {
            let (ticket, _) = throttle.ready(far()).await.expect("no deadline");
            drop(ticket);
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(200), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn no_cap_and_no_headers_means_full_speed() {
        let throttle = Throttle::new(0.0);
        let started = Instant::now();
        let (ticket, _) = throttle.ready(far()).await.expect("no deadline");
        ticket.answered(&HeaderMap::new());
        for _ in 0..1000 {
            let (ticket, waited) = throttle.ready(far()).await.expect("no deadline");
            assert_eq!(waited.duration, Duration::ZERO);
            ticket.answered(&HeaderMap::new());
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_later_requests() {
        let throttle = Throttle::new(0.0);
        throttle.pause_for(Duration::from_millis(150));
        throttle.pause_for(Duration::from_millis(10));
        let (_ticket, waited) = throttle.ready(far()).await.expect("no deadline");
        assert!(waited.duration >= Duration::from_millis(150), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_reserve_a_read_waits_for_the_reset_and_says_where_it_stood() {
        let throttle = Throttle::new(0.0);
        let (ticket, _) = throttle.ready(far()).await.expect("no deadline");
        ticket.answered(&rate_headers(10, 7));
        let (ticket, waited) = throttle.ready(far()).await.expect("no deadline");
        assert!(
            waited.duration >= Duration::from_secs(7) && waited.duration <= Duration::from_secs(9),
            "{waited:?}"
        );
        assert_eq!(waited.at_start.as_ref().map(|s| s.remaining), Some(10));
        drop(ticket);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_behind_a_probe_go_when_it_is_answered() {
        let throttle = std::sync::Arc::new(Throttle::new(0.0));
        let (probe, _) = throttle.ready(far()).await.expect("no deadline");
        let waiter = {
            let throttle = std::sync::Arc::clone(&throttle);
            tokio::spawn(async move {
                let (ticket, waited) = throttle.ready(far()).await.expect("no deadline");
                drop(ticket);
                waited.duration
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        probe.answered(&rate_headers(90, 10));
        let waited = waiter.await.expect("waiter");
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_millis(400),
            "{waited:?}"
        );
    }

    #[test]
    fn quotas() {
        assert!(quota(0.0).is_none());
        assert!(quota(-1.0).is_none());
        assert!(quota(f64::NAN).is_none());
        assert_eq!(quota(3.0).expect("quota").burst_size().get(), 3);
        assert_eq!(quota(0.5).expect("quota").burst_size().get(), 1);
        assert!(quota(1e-20).is_some(), "a tiny rate is still a cap");
    }
}
