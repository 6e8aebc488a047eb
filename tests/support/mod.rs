//! Shared support for the integration and end-to-end suites: the fake
//! Cloudflare API, the provider launched as Terraform launches it, and real
//! Terraform runs.

pub(crate) mod fake_api;
pub(crate) mod machine;
pub(crate) mod mirror;
pub(crate) mod platforms;
pub(crate) mod plugin_client;
pub(crate) mod protocols;
pub(crate) mod provider_log;
pub(crate) mod runs;
pub(crate) mod signing;
pub(crate) mod static_site;
pub(crate) mod terraform;
pub(crate) mod tls_server;
pub(crate) mod values;

use std::path::PathBuf;

/// Whether the tests run under CI (`CI=true` or `CI=1`): there a missing
/// tool (a Terraform, the cross toolchain, a way to switch users) fails the
/// test that needs it instead of skipping it with a note.
pub(crate) fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The file `name` in the first directory of `PATH` that holds one.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
