//! State shared by every connection: data, fault queue, request log, credentials, rate counter.
//!
//! Locks are `std::sync` locks held only for short synchronous sections, never across an await.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::auth::AuthConfig;
use crate::faults::FaultQueue;
use crate::journal::Journal;
use crate::store::Store;

/// Requests allowed per window, as reported in `X-RateLimit-Limit`.
pub const RATE_LIMIT: u64 = 1200;
/// Length of the rate-limit window (5 minutes).
const RATE_WINDOW: Duration = Duration::from_secs(300);

/// Counts API requests per 5-minute window for `X-RateLimit-Remaining` (never enforced).
#[derive(Debug)]
pub struct RateWindow {
    started: Instant,
    used: u64,
}

impl RateWindow {
    /// A window starting now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            used: 0,
        }
    }

    /// Counts one request at `now` and returns the remaining allowance (floored at 0).
    pub fn hit(&mut self, now: Instant) -> u64 {
        if now.saturating_duration_since(self.started) >= RATE_WINDOW {
            self.started = now;
            self.used = 0;
        }
        self.used = self.used.saturating_add(1);
        RATE_LIMIT.saturating_sub(self.used)
    }
}

/// Everything the request handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Accounts and connectors.
    pub store: RwLock<Store>,
    /// Queued fault rules.
    pub faults: Mutex<FaultQueue>,
    /// Recorded API requests.
    pub journal: Mutex<Journal>,
    /// Accepted and denied tokens.
    pub auth: AuthConfig,
    /// Rate-limit header counter.
    pub rate: Mutex<RateWindow>,
}

impl AppState {
    /// New state over `store` with the given credentials.
    pub fn new(store: Store, auth: AuthConfig) -> Self {
        Self {
            store: RwLock::new(store),
            faults: Mutex::new(FaultQueue::default()),
            journal: Mutex::new(Journal::default()),
            auth,
            rate: Mutex::new(RateWindow::new()),
        }
    }
}

/// Locks a mutex, ignoring poisoning (a panicking holder cannot leave our data half-updated
/// in a way that matters to a test fake).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks, ignoring poisoning.
pub fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks, ignoring poisoning.
pub fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_counts_down_and_resets() {
        let start = Instant::now();
        let mut w = RateWindow {
            started: start,
            used: 0,
        };
        assert_eq!(w.hit(start), 1199);
        assert_eq!(w.hit(start), 1198);
        assert_eq!(w.hit(start + RATE_WINDOW), 1199);
        w.used = 5000;
        assert_eq!(w.hit(start + RATE_WINDOW), 0);
    }
}
