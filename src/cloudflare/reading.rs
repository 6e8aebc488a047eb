//! One data source read as the API client sees it: the answers it holds
//! (its [`ReadMemory`]) and the warnings met on the way, which
//! [`Reading::finish`] hands back beside the state, or before the errors of
//! a read that failed.

use crate::cloudflare::memory::ReadMemory;
use crate::plugin::Read;
use crate::plugin::{Diagnostic, Diagnostics};

/// What one read has gathered so far; made by `ApiClient::reading`.
#[derive(Debug)]
pub struct Reading {
    memory: ReadMemory,
    warnings: Diagnostics,
}

impl Reading {
    /// A read that holds nothing yet.
    pub(crate) fn new(memory: ReadMemory) -> Self {
        Self {
            memory,
            warnings: Diagnostics::new(),
        }
    }

    /// The answers this read holds, to count another against its limits.
    pub(crate) fn memory(&mut self) -> &mut ReadMemory {
        &mut self.memory
    }

    /// Keeps a warning for the read's response.
    pub(crate) fn warn(&mut self, warning: Diagnostic) {
        self.warnings.push(warning);
    }

    /// The read's response: the state with the warnings, or the warnings
    /// followed by the errors.
    pub(crate) fn finish<M>(self, state: Result<M, Diagnostics>) -> Result<Read<M>, Diagnostics> {
        match state {
            Ok(state) => Ok(Read {
                state,
                warnings: self.warnings,
            }),
            Err(errors) => {
                let mut diags = self.warnings;
                diags.extend(errors);
                Err(diags)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::memory::MemoryBudget;

    #[test]
    fn warnings_come_beside_the_state_or_before_the_errors() {
        let mut reading = Reading::new(MemoryBudget::default().read());
        reading.warn(Diagnostic::warning("Waited", "long"));
        let read = reading.finish(Ok(7)).expect("a state");
        assert_eq!(read.state, 7);
        assert_eq!(read.warnings.0[0].summary, "Waited");

        let mut reading = Reading::new(MemoryBudget::default().read());
        reading.warn(Diagnostic::warning("Waited", "long"));
        let failed = reading
            .finish::<()>(Err(Diagnostic::error("Failed", "then").into()))
            .expect_err("errors");
        let summaries: Vec<&str> = failed.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Waited", "Failed"]);
    }
}
