//! Where in a value a codec is: the steps from the root to the item at hand,
//! so that every error names its attribute, and the nesting depth, so that
//! no input can recurse past [`MAX_DEPTH`].

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::limits::MAX_DEPTH;
use crate::plugin::path::{AttributePath, PathStep};

/// The path from the root of the value to the item a codec is reading or
/// writing.
#[derive(Debug, Default)]
pub(crate) struct Trail {
    steps: Vec<PathStep>,
}

impl Trail {
    /// An error about the item at hand.
    pub(crate) fn error(&self, message: impl Into<String>) -> CodecError {
        CodecError::new(
            AttributePath {
                steps: self.steps.clone(),
            },
            message,
        )
    }

    /// The depth inside a container at `depth`, or an error once that would
    /// pass [`MAX_DEPTH`].
    pub(crate) fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("value is nested more than {MAX_DEPTH} levels deep")))
        } else {
            Ok(depth + 1)
        }
    }

    /// Steps into the element at `index` of a list, set or tuple.
    pub(crate) fn push_index(&mut self, index: usize) {
        self.push(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)));
    }

    /// Steps into an attribute or map entry.
    pub(crate) fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    /// Steps back out, giving back the step left.
    pub(crate) fn pop(&mut self) -> Option<PathStep> {
        self.steps.pop()
    }
}
