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
