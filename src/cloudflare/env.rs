//! The environment variables the provider reads, behind a seam so tests
//! need not touch the process environment.

use crate::plugin::AttributePath;

/// Reads environment variables; a seam so tests need not touch the process environment.
pub trait Env {
    /// The variable's value when set, non-empty and readable.
    fn get(&self, name: &str) -> Option<String>;

    /// Whether the variable is set to something that is not Unicode text,
    /// which [`Env::get`] cannot return: such a value is refused, never
    /// taken for unset.
    fn unreadable(&self, _name: &str) -> bool {
        false
    }
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn unreadable(&self, name: &str) -> bool {
        matches!(std::env::var(name), Err(std::env::VarError::NotUnicode(_)))
    }
}

/// A provider argument with the environment variable that stands in for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting {
    /// The argument's name.
    pub(crate) attribute: &'static str,
    /// The variable's name.
    pub(crate) variable: &'static str,
}

impl Setting {
    /// The argument `attribute`, standing in for by `variable`.
    pub(crate) const fn new(attribute: &'static str, variable: &'static str) -> Self {
        Self {
            attribute,
            variable,
        }
    }

    /// The argument's place in the provider block.
    pub(crate) fn path(self) -> AttributePath {
        AttributePath::attribute(self.attribute)
    }
}

/// The error for an environment variable set to something that is not
/// text, pointing at the attribute it stands in for, if any.
pub(crate) fn unreadable_error(variable: &str) -> crate::plugin::Diagnostic {
    crate::plugin::Diagnostic::error(
        "Unreadable environment variable",
        format!(
            "{variable} is set, but not to valid UTF-8 text, so the provider cannot read it and will not guess. Set it to the value meant (plain ASCII for every Cloudflare setting), or unset it."
        ),
    )
}

/// A fixed set of variables standing in for the environment in unit tests;
/// a value of `None` stands for one that is not Unicode.
#[cfg(test)]
pub struct MapEnv(std::collections::HashMap<&'static str, Option<&'static str>>);

#[cfg(test)]
impl MapEnv {
    /// The variables `pairs`, and no others.
    pub fn of(pairs: &[(&'static str, &'static str)]) -> Self {
        Self(pairs.iter().map(|(k, v)| (*k, Some(*v))).collect())
    }

    /// The same variables and `name`, set to bytes that are not Unicode.
    pub fn with_unreadable(mut self, name: &'static str) -> Self {
        self.0.insert(name, None);
        self
    }
}

#[cfg(test)]
impl Env for MapEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).copied().flatten().map(str::to_string)
    }

    fn unreadable(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(Option::is_none)
    }
}
