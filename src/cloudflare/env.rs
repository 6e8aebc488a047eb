//! The environment variables the provider reads, behind a seam so tests
//! need not touch the process environment.

/// Reads environment variables; a seam so tests need not touch the process environment.
pub trait Env {
    /// The variable's value when set and non-empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// A fixed set of variables standing in for the environment in unit tests.
#[cfg(test)]
pub struct MapEnv(std::collections::HashMap<&'static str, &'static str>);

#[cfg(test)]
impl MapEnv {
    /// The variables `pairs`, and no others.
    pub fn of(pairs: &[(&'static str, &'static str)]) -> Self {
        Self(pairs.iter().copied().collect())
    }
}

#[cfg(test)]
impl Env for MapEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.to_string())
    }
}
