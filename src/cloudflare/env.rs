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
