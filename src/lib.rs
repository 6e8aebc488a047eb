//! A Terraform provider for Cloudflare, in two layers: [`plugin`], a generic
//! implementation of the Terraform plugin protocol, and [`cloudflare`], the
//! provider configuration, API client and data sources built on it.

// The model layer's derive names its items as `::tfcf::plugin::…`, which
// this makes work inside the crate too.
extern crate self as tfcf;

pub mod cloudflare;
pub mod plugin;
