//! The request budget Cloudflare shares among every client of a user (1,200
//! requests per 5 minutes; one over, and the user is blocked for 5 minutes),
//! as a state machine with no clock or I/O of its own: it is told when a
//! request would go and what each answer's rate-limit headers said, and
//! decides whether the request goes now or waits.
//!
//! The API is the one place that knows what every client has spent, so its
//! headers drive the decisions:
//! - **free**: full speed while what remains stays clear of a reserve;
//! - **pacing**: as the remainder nears the reserve, requests are spread so
//!   that it lasts until the window resets;
//! - **holding**: at the reserve, new requests wait for the reset. The
//!   reserve (a tenth of the quota, and at least twice the requests a
//!   Terraform process keeps in flight, at most half the quota) is left for
//!   other clients and for requests already in flight, so processes sharing a
//!   token do not overrun it together;
//! - **probing**: before anything is known (the first request) and after a
//!   window resets, one request goes alone and its answer says where the new
//!   window stands.
//!
//! Without the headers (stripped by a proxy, an older API), a local budget of
//! 1,200 requests in any 300 s applies, bursts allowed.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::cloudflare::rate_headers::{LimitStatus, Policy, RateHeaders};

/// Requests allowed in any [`LOCAL_WINDOW`] when the API sends no headers.
pub(crate) const LOCAL_QUOTA: usize = 1200;
/// The window of the local budget.
pub(crate) const LOCAL_WINDOW: Duration = Duration::from_secs(300);
/// The share of a quota kept in reserve.
const RESERVE_SHARE: f64 = 0.1;
/// How many requests a Terraform process may have in flight before this one
/// has seen its own: Terraform's default `-parallelism`.
const ASSUMED_PARALLELISM: u64 = 10;
/// How long past an announced reset a held request waits, since `t` is in
/// whole seconds and may be rounded down.
pub(crate) const RESET_MARGIN: Duration = Duration::from_secs(1);
/// Two answers whose resets lie this close belong to the same window.
const SAME_WINDOW: Duration = Duration::from_millis(1500);

/// Why a request goes or waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Plenty left: full speed.
    Free,
    /// Nothing known yet (the start, or a reset): one request finds out.
    Probing,
    /// Running low: requests spread until the reset.
    Pacing,
    /// At the reserve (or at the local budget): waiting for the reset.
    Holding,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Send it now; `probe` when it is the one request that finds out.
    Go {
        /// What the budget is doing.
        state: State,
        /// Whether this request is the probe.
        probe: bool,
    },
    /// Ask again at `until`, or when the next answer arrives (`None`: only then).
    Wait {
        /// What the budget is doing.
        state: State,
        /// When to ask again at the latest.
        until: Option<Instant>,
    },
}

/// Where the most restrictive limit stood, for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Requests left in the window.
    pub remaining: u64,
    /// Time until the window resets.
    pub reset_in: Duration,
    /// The quota per window, when announced.
    pub quota: Option<u64>,
    /// The window's length, when announced.
    pub window: Option<Duration>,
    /// The reserve kept for other clients.
    pub reserve: u64,
}

/// One limit as the latest answers describe it.
#[derive(Debug, Clone)]
struct Limit {
    name: String,
    remaining: u64,
    reset_at: Instant,
    /// The most seen remaining in this window: the quota when none is announced.
    largest_seen: u64,
}

impl Limit {
    /// Whether the window has surely reset by `now` (allowing for `t` being
    /// rounded down); until then, what is known of it stands.
    fn is_over(&self, now: Instant) -> bool {
        now >= self.reset_at + RESET_MARGIN
    }
}

/// The budget of one provider process.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    limits: Vec<Limit>,
    policies: Vec<Policy>,
    answered: bool,
    in_flight: u64,
    peak_in_flight: u64,
    probe_out: bool,
    last_sent: Option<Instant>,
    /// When recent requests were sent, for the local budget (at most [`LOCAL_QUOTA`]).
    sent: VecDeque<Instant>,
}

impl Budget {
    /// A budget that knows nothing yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Decides whether a request may go at `now`; a request that may is counted as sent.
    pub(crate) fn admit(&mut self, now: Instant) -> Admission {
        let decision = if !self.limits.is_empty() {
            self.by_headers(now)
        } else if !self.answered {
            self.probe()
        } else {
            self.by_local_budget(now)
        };
        if let Admission::Go { probe, .. } = decision {
            self.in_flight += 1;
            self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
            self.probe_out |= probe;
            self.last_sent = Some(now);
            if self.sent.len() >= LOCAL_QUOTA {
                self.sent.pop_front();
            }
            self.sent.push_back(now);
        }
        decision
    }

    /// An admitted request was answered at `now`, with these rate-limit headers if any.
    pub(crate) fn answered(&mut self, now: Instant, probe: bool, headers: Option<&RateHeaders>) {
        self.finished(probe);
        self.answered = true;
        let Some(headers) = headers else {
            // A stripped answer after every known window ended: nothing
            // current is known, so the local budget applies from here on.
            if self.limits.iter().all(|limit| limit.is_over(now)) {
                self.limits.clear();
            }
            return;
        };
        for policy in &headers.policies {
            match self.policies.iter_mut().find(|p| p.name == policy.name) {
                Some(known) => *known = policy.clone(),
                None => self.policies.push(policy.clone()),
            }
        }
        for status in &headers.limits {
            self.observe(now, status);
        }
    }

    /// An admitted request ended without an answer (a connection error, or cancelled).
    pub(crate) fn abandoned(&mut self, probe: bool) {
        self.finished(probe);
    }

    /// The most restrictive limit now, when any is known.
    pub(crate) fn snapshot(&self, now: Instant) -> Option<Snapshot> {
        self.limits
            .iter()
            .map(|limit| {
                let policy = self.policy_for(&limit.name);
                Snapshot {
                    remaining: limit.remaining,
                    reset_in: limit.reset_at.saturating_duration_since(now),
                    quota: policy.map(|p| p.quota),
                    window: policy.map(|p| p.window),
                    reserve: self.reserve(limit),
                }
            })
            .min_by_key(|s| s.remaining.saturating_sub(s.reserve))
    }

    fn finished(&mut self, probe: bool) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if probe {
            self.probe_out = false;
        }
    }

    fn probe(&self) -> Admission {
        if self.probe_out || self.in_flight > 0 {
            Admission::Wait {
                state: State::Probing,
                until: None,
            }
        } else {
            Admission::Go {
                state: State::Probing,
                probe: true,
            }
        }
    }

    fn by_local_budget(&mut self, now: Instant) -> Admission {
        while self
            .sent
            .front()
            .is_some_and(|sent| now.saturating_duration_since(*sent) >= LOCAL_WINDOW)
        {
            self.sent.pop_front();
        }
        match self.sent.front() {
            Some(oldest) if self.sent.len() >= LOCAL_QUOTA => Admission::Wait {
                state: State::Holding,
                until: Some(*oldest + LOCAL_WINDOW),
            },
            _ => Admission::Go {
                state: State::Free,
                probe: false,
            },
        }
    }

    fn by_headers(&self, now: Instant) -> Admission {
        let mut state = State::Free;
        let mut until: Option<Instant> = None;
        let mut window_over = false;
        for limit in &self.limits {
            if limit.is_over(now) {
                window_over = true;
                continue;
            }
            let reserve = self.reserve(limit);
            let left = limit
                .remaining
                .saturating_sub(self.in_flight)
                .saturating_sub(reserve);
            let reset = limit.reset_at + RESET_MARGIN;
            if left == 0 {
                state = State::Holding;
                until = until.max(Some(reset));
                continue;
            }
            if left < (reserve / 2).max(1) {
                if state == State::Free {
                    state = State::Pacing;
                }
                let spacing = (reset - now) / u32::try_from(left).unwrap_or(u32::MAX);
                if let Some(earliest) = self.last_sent.map(|sent| sent + spacing) {
                    if earliest > now {
                        until = until.max(Some(earliest));
                    }
                }
            }
        }
        if until.is_some() {
            return Admission::Wait { state, until };
        }
        if window_over {
            return self.probe();
        }
        Admission::Go {
            state,
            probe: false,
        }
    }

    /// Requests kept back from `limit`: a tenth of its quota, and at least
    /// twice the requests a Terraform process has in flight (this one's, and
    /// another's like it while this one looks), but never more than half an
    /// announced quota, so a small quota still serves.
    fn reserve(&self, limit: &Limit) -> u64 {
        let announced = self.policy_for(&limit.name).map(|p| p.quota);
        let quota = announced.unwrap_or(0).max(limit.largest_seen);
        let share = (quota as f64 * RESERVE_SHARE).ceil() as u64;
        let in_flight = self.peak_in_flight.max(ASSUMED_PARALLELISM);
        let reserve = share.max(in_flight.saturating_mul(2));
        match announced {
            Some(quota) => reserve.min(quota / 2),
            None => reserve,
        }
    }

    /// The policy of a limit: the one of the same name, or the only one announced.
    fn policy_for(&self, name: &str) -> Option<&Policy> {
        self.policies
            .iter()
            .find(|p| p.name == name)
            .or(match self.policies.as_slice() {
                [only] => Some(only),
                _ => None,
            })
    }

    fn observe(&mut self, now: Instant, status: &LimitStatus) {
        let reset_in = match self.policy_for(&status.name) {
            Some(policy) => status.reset_in.min(policy.window),
            None => status.reset_in,
        };
        let fresh = Limit {
            name: status.name.clone(),
            remaining: status.remaining,
            reset_at: now + reset_in,
            largest_seen: status.remaining,
        };
        let Some(limit) = self.limits.iter_mut().find(|l| l.name == status.name) else {
            self.limits.push(fresh);
            return;
        };
        if limit.is_over(now) || fresh.reset_at > limit.reset_at + SAME_WINDOW {
            *limit = fresh;
        } else if fresh.reset_at + SAME_WINDOW >= limit.reset_at {
            limit.remaining = limit.remaining.min(fresh.remaining);
            limit.reset_at = limit.reset_at.max(fresh.reset_at);
            limit.largest_seen = limit.largest_seen.max(fresh.remaining);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(remaining: u64, reset_secs: u64, quota: u64, window_secs: u64) -> RateHeaders {
        RateHeaders {
            limits: vec![LimitStatus {
                name: "default".into(),
                remaining,
                reset_in: Duration::from_secs(reset_secs),
            }],
            policies: vec![Policy {
                name: "default".into(),
                quota,
                window: Duration::from_secs(window_secs),
            }],
        }
    }

    fn go(budget: &mut Budget, now: Instant) -> bool {
        matches!(budget.admit(now), Admission::Go { .. })
    }

    /// Sends requests one after the other until the budget holds, each
    /// answered with the remaining count a server with `remaining` left would
    /// report, moving the clock forward when pacing asks; returns how many
    /// went and the time then.
    fn spend(budget: &mut Budget, start: Instant, remaining: &mut u64) -> (u64, Instant) {
        let reset = start + Duration::from_secs(200);
        let mut now = start;
        let mut sent = 0;
        loop {
            match budget.admit(now) {
                Admission::Go { probe, .. } => {
                    *remaining = remaining.checked_sub(1).expect("overspent the budget");
                    let reset_in = reset.saturating_duration_since(now).as_secs();
                    budget.answered(now, probe, Some(&headers(*remaining, reset_in, 1200, 300)));
                    sent += 1;
                }
                Admission::Wait {
                    state: State::Pacing,
                    until: Some(until),
                } => now = until,
                Admission::Wait { .. } => return (sent, now),
            }
        }
    }

    #[test]
    fn the_first_request_probes_alone() {
        let now = Instant::now();
        let mut budget = Budget::new();
        assert_eq!(
            budget.admit(now),
            Admission::Go {
                state: State::Probing,
                probe: true
            }
        );
        assert_eq!(
            budget.admit(now),
            Admission::Wait {
                state: State::Probing,
                until: None
            }
        );
        budget.answered(now, true, Some(&headers(1199, 300, 1200, 300)));
        for _ in 0..10 {
            assert!(go(&mut budget, now), "free after the probe");
        }
    }

    #[test]
    fn full_speed_down_to_the_reserve_then_hold_until_the_reset() {
        let start = Instant::now();
        let mut budget = Budget::new();
        let mut remaining = 1200;
        let (sent, now) = spend(&mut budget, start, &mut remaining);
        // Everything but the reserve of 120 is spent; only the last 60 are paced.
        assert_eq!(sent, 1080);
        assert_eq!(remaining, 120, "stopped at the reserve");
        assert!(
            now <= start + Duration::from_secs(200) + RESET_MARGIN,
            "{:?}",
            now - start
        );
        match budget.admit(now) {
            Admission::Wait {
                state: State::Holding,
                until: Some(until),
            } => assert!(
                until >= start + Duration::from_secs(200)
                    && until <= start + Duration::from_secs(202)
            ),
            other => panic!("expected holding, got {other:?}"),
        }
        let mut fresh = Budget::new();
        let mut plenty = 1200;
        for _ in 0..1000 {
            match fresh.admit(start) {
                Admission::Go { probe, state } => {
                    assert!(matches!(state, State::Free | State::Probing), "{state:?}");
                    plenty -= 1;
                    fresh.answered(start, probe, Some(&headers(plenty, 200, 1200, 300)));
                }
                other => panic!("1,000 of 1,200 must go at full speed: {other:?}"),
            }
        }
    }

    #[test]
    fn pacing_spreads_the_last_requests_until_the_reset() {
        let now = Instant::now();
        let mut budget = Budget::new();
        budget.answered(now, false, Some(&headers(150, 100, 1200, 300)));
        // 150 left, reserve 120: 30 to spend, below half the reserve, so paced
        // at about 101 s / 30 apart.
        match budget.admit(now) {
            Admission::Go {
                state: State::Pacing,
                ..
            } => {}
            other => panic!("expected a paced request, got {other:?}"),
        }
        budget.answered(now, false, Some(&headers(149, 100, 1200, 300)));
        match budget.admit(now) {
            Admission::Wait {
                state: State::Pacing,
                until: Some(until),
            } => {
                let gap = until - now;
                assert!(
                    gap > Duration::from_secs(3) && gap < Duration::from_secs(4),
                    "{gap:?}"
                );
            }
            other => panic!("expected pacing, got {other:?}"),
        }
    }

    #[test]
    fn in_flight_requests_count_against_the_budget() {
        let now = Instant::now();
        let mut budget = Budget::new();
        budget.answered(now, false, Some(&headers(150, 100, 1200, 300)));
        budget.peak_in_flight = 10;
        budget.in_flight = 0;
        // Reserve max(120, 20); 30 spendable: at most 30 go without answers.
        let mut sent = 0;
        while go(&mut budget, now) {
            sent += 1;
            assert!(sent <= 30, "overran the budget");
        }
        assert!(sent >= 1);
    }

    #[test]
    fn after_the_reset_one_probe_then_the_new_window() {
        let start = Instant::now();
        let mut budget = Budget::new();
        budget.answered(start, false, Some(&headers(120, 10, 1200, 300)));
        assert!(!go(&mut budget, start));
        let later = start + Duration::from_secs(10) + RESET_MARGIN;
        assert_eq!(
            budget.admit(later),
            Admission::Go {
                state: State::Probing,
                probe: true
            }
        );
        assert!(
            !go(&mut budget, later),
            "only the probe until it is answered"
        );
        budget.answered(later, true, Some(&headers(1199, 300, 1200, 300)));
        assert!(go(&mut budget, later));
    }

    #[test]
    fn an_answer_from_the_old_window_does_not_undo_the_new_one() {
        let now = Instant::now();
        let mut budget = Budget::new();
        budget.answered(now, false, Some(&headers(1100, 290, 1200, 300)));
        budget.answered(now, false, Some(&headers(5, 1, 1200, 300)));
        let snapshot = budget.snapshot(now).expect("snapshot");
        assert_eq!(snapshot.remaining, 1100);
        budget.answered(now, false, Some(&headers(1090, 290, 1200, 300)));
        assert_eq!(budget.snapshot(now).expect("snapshot").remaining, 1090);
        budget.answered(now, false, Some(&headers(1095, 291, 1200, 300)));
        assert_eq!(budget.snapshot(now).expect("snapshot").remaining, 1090);
    }

    #[test]
    fn the_most_restrictive_limit_decides() {
        let now = Instant::now();
        let mut budget = Budget::new();
        let two = RateHeaders {
            limits: vec![
                LimitStatus {
                    name: "default".into(),
                    remaining: 1000,
                    reset_in: Duration::from_secs(200),
                },
                LimitStatus {
                    name: "burst".into(),
                    remaining: 4,
                    reset_in: Duration::from_secs(2),
                },
            ],
            policies: vec![],
        };
        budget.answered(now, false, Some(&two));
        match budget.admit(now) {
            Admission::Wait {
                state: State::Holding,
                until: Some(until),
            } => assert_eq!(until, now + Duration::from_secs(2) + RESET_MARGIN),
            other => panic!("expected the burst limit to hold, got {other:?}"),
        }
        assert_eq!(budget.snapshot(now).expect("snapshot").remaining, 4);
    }

    #[test]
    fn without_headers_at_most_the_local_quota_in_any_window() {
        let start = Instant::now();
        let mut budget = Budget::new();
        assert!(go(&mut budget, start));
        budget.answered(start, true, None);
        let mut sent = 1;
        let mut now = start;
        while go(&mut budget, now) {
            sent += 1;
            now += Duration::from_millis(10);
        }
        assert_eq!(sent, LOCAL_QUOTA);
        match budget.admit(now) {
            Admission::Wait {
                state: State::Holding,
                until: Some(until),
            } => assert_eq!(until, start + LOCAL_WINDOW),
            other => panic!("expected the local budget to hold, got {other:?}"),
        }
        assert!(go(&mut budget, start + LOCAL_WINDOW));
    }

    #[test]
    fn abandoned_requests_free_their_place_and_a_lost_probe_is_replaced() {
        let now = Instant::now();
        let mut budget = Budget::new();
        assert!(go(&mut budget, now));
        budget.abandoned(true);
        assert_eq!(
            budget.admit(now),
            Admission::Go {
                state: State::Probing,
                probe: true
            }
        );
    }

    #[test]
    fn no_header_can_hold_requests_longer_than_the_window() {
        let now = Instant::now();
        let mut budget = Budget::new();
        let huge = RateHeaders {
            limits: vec![LimitStatus {
                name: "default".into(),
                remaining: 0,
                reset_in: crate::cloudflare::rate_headers::MAX_WINDOW,
            }],
            policies: vec![Policy {
                name: "default".into(),
                quota: 100,
                window: Duration::from_secs(15),
            }],
        };
        budget.answered(now, false, Some(&huge));
        match budget.admit(now) {
            Admission::Wait {
                until: Some(until), ..
            } => assert!(until - now <= Duration::from_secs(15) + RESET_MARGIN),
            other => panic!("expected a wait, got {other:?}"),
        }
    }
}
