//! The generic Terraform plugin layer: launch handshake, TLS, gRPC services,
//! protocol adapters, the value codec, schemas and diagnostics. It serves any
//! provider and knows nothing about a particular one.

pub mod adapter;
pub mod codec;
pub mod cty;
pub mod diagnostics;
pub mod docs;
pub mod handshake;
pub mod listen;
pub mod logging;
pub mod model;
pub mod panics;
pub mod path;
pub mod proto;
pub mod provider;
pub mod schema;
pub mod server;
pub mod service;
pub mod signals;
#[cfg(unix)]
pub mod socket_dir;
pub mod tls;
pub mod transport;
pub mod v5;
pub mod v6;
