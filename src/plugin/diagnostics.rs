//! Diagnostics: the only way a provider tells Terraform's user that something is wrong.
//!
//! Besides the diagnostics a read returns, code deep inside a request (a
//! shared API client, say) can [`report`] a warning for the request it is
//! serving, without every layer in between passing it along.

use std::cell::RefCell;
use std::future::Future;

use crate::plugin::path::AttributePath;

tokio::task_local! {
    /// Diagnostics reported while the current request is served.
    static REPORTED: RefCell<Diagnostics>;
}

/// Runs `request`, collecting what code inside it [`report`]s.
pub(super) async fn collecting<F: Future>(request: F) -> (F::Output, Diagnostics) {
    REPORTED
        .scope(RefCell::new(Diagnostics::new()), async move {
            let output = request.await;
            let reported = REPORTED.with(|cell| cell.take());
            (output, reported)
        })
        .await
}

/// Adds a diagnostic to the response of the request being served (see
/// [`collecting`]); returns false, dropping it, outside of one.
pub fn report(diagnostic: Diagnostic) -> bool {
    REPORTED
        .try_with(|cell| cell.borrow_mut().push(diagnostic))
        .is_ok()
}

/// How serious a diagnostic is. There is deliberately no "invalid" severity:
/// Terraform renders those without a severity, which confuses users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the operation.
    Error,
    /// Shown to the user; the operation continues.
    Warning,
}

/// One message for the user: a one-line summary, a detail that says what to do,
/// and, where the problem is in the configuration, the attribute it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A short statement of the problem.
    pub summary: String,
    /// What happened and what the user should do about it.
    pub detail: String,
    /// The configuration attribute concerned, if any.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error not tied to one attribute.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning not tied to one attribute.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    /// The same diagnostic, pointed at an attribute.
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics gathered while serving one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of another set.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reports_reach_the_request_that_made_them_and_no_other() {
        let (value, reported) = collecting(async {
            tokio::task::yield_now().await;
            assert!(report(Diagnostic::warning("slow", "it waited")));
            7
        })
        .await;
        assert_eq!(value, 7);
        assert_eq!(reported.0.len(), 1);
        assert_eq!(reported.0[0].summary, "slow");
        assert!(!report(Diagnostic::warning("nowhere", "dropped")));
        let (_, none) = collecting(async {}).await;
        assert!(none.is_empty());
    }
}
