//! How much of the API's answers one read, and all reads of the process
//! together, may hold: a hostile or broken server can send big answers, but
//! it cannot make the provider (or Terraform, which receives the state) run
//! out of memory. Each body counts against the process's limit as it
//! arrives ([`BodyHold`]), and each read counts the answers it keeps in a
//! [`ReadMemory`]; going over either limit fails that read with a
//! diagnostic that names the size and the limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::plugin::Diagnostic;

/// The most bytes of answers one read may keep (a list's pages together).
pub(crate) const MAX_READ_BYTES: usize = 8 << 20;
/// The most bytes of answers all reads in progress may keep together.
pub(crate) const MAX_PROCESS_BYTES: usize = 32 << 20;

/// The bytes of answers held by the reads in progress, shared by the process.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryBudget {
    in_use: Arc<AtomicUsize>,
}

impl MemoryBudget {
    /// A tracker for one read; what it holds is given back when it is dropped.
    pub(crate) fn read(&self) -> ReadMemory {
        ReadMemory {
            budget: self.clone(),
            held: 0,
        }
    }

    /// A hold on the bytes of one body as it arrives, counted against the
    /// process's limit while it is read and parsed (however many reads run at
    /// once, their bodies in flight cannot pass it); given back when dropped.
    pub(crate) fn body(&self) -> BodyHold {
        BodyHold {
            budget: self.clone(),
            held: 0,
        }
    }

    /// Bytes held by all reads now, for the tests.
    #[cfg(test)]
    fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }
}

/// The answers one read keeps, counted against its own limit and the process's.
#[derive(Debug)]
pub(crate) struct ReadMemory {
    budget: MemoryBudget,
    held: usize,
}

impl ReadMemory {
    /// Counts `bytes` more for this read, reading `what`; an error, holding
    /// nothing more, when this read or the process would go over its limit.
    pub(crate) fn add(&mut self, bytes: usize, what: &str) -> Result<(), Diagnostic> {
        let read_total = self.held.saturating_add(bytes);
        if read_total > MAX_READ_BYTES {
            return Err(Diagnostic::error(
                "Cloudflare API answers too large",
                format!(
                    "Reading {what} took {} of answers, more than the {} one read may hold. No real SSO connector data is this large: if base_url points at a proxy, check what it returns; for a list, set max_items to read fewer connectors.",
                    mebibytes(read_total),
                    mebibytes(MAX_READ_BYTES)
                ),
            ));
        }
        let previous = self.budget.in_use.fetch_add(bytes, Ordering::Relaxed);
        let process_total = previous.saturating_add(bytes);
        if process_total > MAX_PROCESS_BYTES {
            self.budget.in_use.fetch_sub(bytes, Ordering::Relaxed);
            return Err(Diagnostic::error(
                "Cloudflare API answers too large",
                format!(
                    "Reading {what} would bring the answers held by the reads in progress to {}, more than the {} the provider holds at once. The answers are unusually large: if base_url points at a proxy, check what it returns; otherwise run terraform with a lower -parallelism.",
                    mebibytes(process_total),
                    mebibytes(MAX_PROCESS_BYTES)
                ),
            ));
        }
        self.held = read_total;
        Ok(())
    }
}

impl Drop for ReadMemory {
    fn drop(&mut self) {
        self.budget.in_use.fetch_sub(self.held, Ordering::Relaxed);
    }
}

/// The bytes of one body being read (see [`MemoryBudget::body`]).
#[derive(Debug)]
pub(crate) struct BodyHold {
    budget: MemoryBudget,
    held: usize,
}

impl BodyHold {
    /// Holds `bytes` more of the body; the bytes all reads would then hold
    /// as the error, holding nothing more, when that passes the process's limit.
    pub(crate) fn grow(&mut self, bytes: usize) -> Result<(), usize> {
        let previous = self.budget.in_use.fetch_add(bytes, Ordering::Relaxed);
        let total = previous.saturating_add(bytes);
        if total > MAX_PROCESS_BYTES {
            self.budget.in_use.fetch_sub(bytes, Ordering::Relaxed);
            return Err(total);
        }
        self.held = self.held.saturating_add(bytes);
        Ok(())
    }
}

impl Drop for BodyHold {
    fn drop(&mut self) {
        self.budget.in_use.fetch_sub(self.held, Ordering::Relaxed);
    }
}

/// `bytes` in MiB with one decimal, as messages show sizes.
pub(crate) fn mebibytes(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_read_may_not_hold_more_than_its_limit() {
        let budget = MemoryBudget::default();
        let mut read = budget.read();
        read.add(MAX_READ_BYTES - 10, "a list").expect("within");
        let err = read.add(11, "a list").unwrap_err();
        assert!(
            err.detail
                .contains("8.0 MiB of answers, more than the 8.0 MiB"),
            "{}",
            err.detail
        );
        assert_eq!(budget.in_use(), MAX_READ_BYTES - 10);
        drop(read);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn all_reads_together_may_not_hold_more_than_the_process_limit() {
        let budget = MemoryBudget::default();
        let mut reads: Vec<ReadMemory> = (0..4).map(|_| budget.read()).collect();
        for read in &mut reads {
            read.add(MAX_READ_BYTES, "x").expect("within");
        }
        let mut one_more = budget.read();
        let err = one_more.add(1, "x").unwrap_err();
        assert!(err.detail.contains("-parallelism"), "{}", err.detail);
        reads.pop();
        one_more.add(1, "x").expect("room again");
    }

    #[test]
    fn bodies_in_flight_count_against_the_process_limit_until_dropped() {
        let budget = MemoryBudget::default();
        let mut bodies: Vec<BodyHold> = (0..8).map(|_| budget.body()).collect();
        for body in &mut bodies {
            body.grow(4 << 20).expect("within");
        }
        let mut ninth = budget.body();
        assert_eq!(ninth.grow(1), Err(MAX_PROCESS_BYTES + 1));
        assert!(budget.read().add(1, "x").is_err(), "kept answers count too");
        bodies.clear();
        assert_eq!(budget.in_use(), 0);
        ninth.grow(1).expect("room again");
    }
}
