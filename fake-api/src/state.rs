//! State shared by every connection: data, fault queue, request log, credentials, request budget.
//!
//! Locks are `std::sync` locks held only for short synchronous sections, never across an await.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use crate::auth::AuthConfig;
use crate::budget::{Budget, BudgetConfig};
use crate::faults::FaultQueue;
use crate::journal::Journal;
use crate::store::Store;

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
    /// Cloudflare's request budget.
    pub budget: Mutex<Budget>,
}

impl AppState {
    /// New state over `store` with the given credentials and budget.
    pub fn new(store: Store, auth: AuthConfig, budget: BudgetConfig) -> Self {
        Self {
            store: RwLock::new(store),
            faults: Mutex::new(FaultQueue::default()),
            journal: Mutex::new(Journal::default()),
            auth,
            budget: Mutex::new(Budget::new(budget, Instant::now())),
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
