//! A Terraform provider for Cloudflare, in two layers: [`plugin`], a generic
//! implementation of the Terraform plugin protocol, and [`cloudflare`], the
//! provider configuration, API client and data sources built on it.

pub mod cloudflare;
pub mod plugin;
