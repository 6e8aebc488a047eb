//! The machine, shared by every test in the suite's one process. When each
//! file under tests/ was a binary of its own, Cargo ran them one after
//! another, so a test that keeps every core busy for a while (two release
//! builds, a cross build, a thousand concurrent reads) never ran beside a
//! test of another file. Tests that check the provider answers within a
//! tenth of a second or a few seconds could now run beside it and fail for
//! want of CPU, so such a test takes a [`timed`] hold and a heavy one a
//! [`heavy`] hold: a heavy test waits until no timed test runs, and timed
//! tests wait while a heavy one runs. Timed tests still run beside one
//! another, and both kinds beside every other test.
//!
//! A test takes one hold, at its start, and keeps it to its end (in an
//! `async` test too: it is taken on the test's own thread, before anything
//! that needs it, so holding it across `.await` blocks no one else). Never
//! both, nor one inside another: a second hold in a test that has one can
//! wait for itself.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

static MACHINE: RwLock<()> = RwLock::new(());

/// A test's hold on the machine, given back when it is dropped.
#[must_use = "the hold ends when it is dropped: keep it to the end of the test"]
pub(crate) enum Hold {
    /// A timed test's: shared with the other timed tests.
    Timed {
        _guard: RwLockReadGuard<'static, ()>,
    },
    /// A heavy test's: the only one.
    Heavy {
        _guard: RwLockWriteGuard<'static, ()>,
    },
}

/// For a test that asserts how long the provider takes: no heavy test runs
/// while it is held. Waits for a heavy test that runs now.
pub(crate) fn timed() -> Hold {
    // A test that failed holding the lock poisoned it; the lock guards no
    // data, so the others go on.
    Hold::Timed {
        _guard: MACHINE.read().unwrap_or_else(PoisonError::into_inner),
    }
}

/// For a test that keeps the machine busy: no timed test runs while it is
/// held. Waits for the timed tests that run now.
pub(crate) fn heavy() -> Hold {
    Hold::Heavy {
        _guard: MACHINE.write().unwrap_or_else(PoisonError::into_inner),
    }
}
