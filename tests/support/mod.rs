//! Shared support for the integration and end-to-end suites: the fake
//! Cloudflare API, the provider launched as Terraform launches it, and real
//! Terraform runs.

#![allow(dead_code)]

pub mod fake_api;
pub mod mirror;
pub mod platforms;
pub mod plugin_client;
pub mod provider_log;
pub mod terraform;
pub mod tls_server;
pub mod values;
