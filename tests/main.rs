//! The integration and end-to-end tests: one test binary, whose modules are
//! the files beside this one, sharing `support/`.
//!
//! One binary rather than one per file: each test crate links the provider's
//! library, the fake API and every dependency of theirs, so 22 test crates
//! meant 22 slow links (and 22 copies of `support/` compiled) for every
//! change. Run a part of it with a module path as the filter, e.g.
//! `cargo test --test suite hostile_api::`.
//!
//! The tests share one process now. None sets an environment variable or the
//! working directory of the process (a test sets them on the commands it
//! runs), and what process-wide state there is (the cross builds, the
//! release directory, the Wine prefix) is made once, for every test that
//! needs it, behind a `OnceLock`. Tests that keep every core busy and tests
//! that time the provider are kept apart by `support::machine`.

mod support;

mod api_resilience;
mod beside_official;
mod cancellation;
mod debug_mode;
mod docs;
mod examples;
mod hardening;
mod hostile_api;
mod install;
mod load;
mod logging;
mod platforms;
mod plugin_rpc;
mod protocol5;
mod protocols;
mod registry;
mod release;
mod reproducible;
mod request_budget;
mod security;
mod tcp_transport;
mod terraform_e2e;
