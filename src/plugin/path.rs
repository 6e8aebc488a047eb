//! Attribute paths: where in a configuration a value or a problem lives.

use std::fmt;

/// One step of an [`AttributePath`]: an attribute of an object, a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An attribute of an object or block, by name.
    Attribute(String),
    /// An element of a map, by key.
    Key(String),
    /// An element of a list, set or tuple, by position.
    Index(i64),
}

/// A path from the root of a configuration object to one value, so diagnostics can point at it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AttributePath {
    /// The steps, outermost first.
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the whole object.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path to a top-level attribute.
    pub fn attribute(name: impl Into<String>) -> Self {
        Self {
            steps: vec![PathStep::Attribute(name.into())],
        }
    }

    /// This path extended by an attribute step.
    pub fn then_attribute(&self, name: impl Into<String>) -> Self {
        self.then(PathStep::Attribute(name.into()))
    }

    /// This path extended by a map-key step.
    pub fn then_key(&self, key: impl Into<String>) -> Self {
        self.then(PathStep::Key(key.into()))
    }

    /// This path extended by an index step.
    pub fn then_index(&self, index: i64) -> Self {
        self.then(PathStep::Index(index))
    }

    fn then(&self, step: PathStep) -> Self {
        let mut steps = self.steps.clone();
        steps.push(step);
        Self { steps }
    }

    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}
