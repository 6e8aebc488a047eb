//! Shared support for the integration and end-to-end suites: the fake
//! Cloudflare API, the provider launched as Terraform launches it, and real
//! Terraform runs.

// The benchmarks include this module too and use part of it, and a test
// crate exports nothing: unused and "unreachable" public items are expected.
#![allow(dead_code, unreachable_pub)]

pub mod fake_api;
pub mod mirror;
pub mod platforms;
pub mod plugin_client;
pub mod protocols;
pub mod provider_log;
pub mod runs;
pub mod signing;
pub mod static_site;
pub mod terraform;
pub mod tls_server;
pub mod values;

use std::path::PathBuf;

/// Whether the tests run under CI (`CI=true` or `CI=1`): there a missing
/// tool (a Terraform, the cross toolchain, a way to switch users) fails the
/// test that needs it instead of skipping it with a note.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The file `name` in the first directory of `PATH` that holds one.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
