//! The error the codecs report: a message and the attribute path it concerns.

use std::fmt;

use crate::plugin::path::AttributePath;

/// A problem found while encoding or decoding a value or a type.
///
/// It carries the attribute path of the offending value so the caller can turn
/// it into a diagnostic that points at the right attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct CodecError {
    /// Where in the value the problem is; the root path for whole-input problems.
    pub path: AttributePath,
    /// What went wrong, for humans.
    pub message: String,
}

impl CodecError {
    /// An error at `path`.
    pub fn new(path: AttributePath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }

    /// An error about the input as a whole (root path).
    pub fn root(message: impl Into<String>) -> Self {
        Self::new(AttributePath::root(), message)
    }

    /// The same error with `prefix` prepended to its path, for errors found in a
    /// nested document (such as the type JSON embedded in a `dynamic` value).
    pub fn within(self, prefix: &AttributePath) -> Self {
        let mut steps = prefix.steps.clone();
        steps.extend(self.path.steps);
        Self {
            path: AttributePath { steps },
            message: self.message,
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CodecError {}

/// The start of `text`, quoted, for error messages: at most 40 characters, so
/// no message echoes a large input.
pub(crate) fn preview(text: &str) -> String {
    const LIMIT: usize = 40;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{:?}…", text.get(..cut).unwrap_or("")),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::path::PathStep;

    #[test]
    fn error_display_includes_path() {
        let err = CodecError::root("boom");
        assert_eq!(err.to_string(), "boom");
        let err = CodecError::new(
            AttributePath {
                steps: vec![
                    PathStep::Attribute("a".into()),
                    PathStep::Index(2),
                    PathStep::Key("k".into()),
                ],
            },
            "boom",
        );
        assert_eq!(err.to_string(), "a[2][\"k\"]: boom");
        let nested = CodecError::new(AttributePath::attribute("inner"), "bad")
            .within(&AttributePath::attribute("outer"));
        assert_eq!(nested.to_string(), "outer.inner: bad");
    }
}
