//! The generic Terraform plugin layer: launch handshake, TLS, gRPC services,
//! protocol adapters, the value codec, schemas and diagnostics. It serves any
//! provider and knows nothing about a particular one.
//!
//! Its modules are private. A provider sees only what it needs, re-exported
//! here: the [`Provider`] and [`DataSource`] traits, schemas and typed models
//! (`#[derive(TfObject)]`), values, diagnostics, and [`serve`]. Two
//! namespaces serve tools rather than providers: [`docs`] (registry pages
//! from a provider's schema) and [`wire`] (the protocol as Terraform speaks
//! it, for test clients).

mod adapter;
mod codec;
mod cty;
mod diagnostics;
mod docgen;
mod environment;
mod handshake;
mod listen;
mod logging;
mod model;
mod panics;
mod path;
mod proto;
mod provider;
mod schema;
mod server;
mod service;
mod signals;
#[cfg(unix)]
mod socket_dir;
mod tls;
mod transport;

pub use cty::{Refinements, Type, Value};
pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use model::{ConfigValue, TfObject, TfValue};
pub use path::AttributePath;
pub use provider::{ConfigureRequest, DataSource, DataSources, Provider, Read};
pub use schema::{Attribute, AttributeKind, Mode, Nesting, Schema, StringRule, Validator};
pub use server::{registry_manifest, serve, serve_debug};
/// Derives [`TfObject`] and [`TfValue`] from a struct: each field is one attribute.
pub use tfcf_derive::TfObject;

/// What `#[derive(TfObject)]` expands to calls; not for direct use.
pub(crate) use model::{doc_text, expect_object, field, kind_of};

/// Registry-style documentation generated from a provider's schema, for the
/// provider's own `gen-docs` command and its tests.
pub mod docs {
    pub use super::docgen::{
        pages, plan, DocFile, DocsError, DocsPlan, Page, PageKind, SCHEMA_BEGIN, SCHEMA_END,
    };
}

/// The protocol as Terraform speaks it: the gRPC messages and clients of
/// tfplugin5, tfplugin6 and go-plugin's controller, the DynamicValue
/// encodings, and the version-neutral service, for test clients and tools
/// that talk to a provider the way Terraform does.
pub mod wire {
    pub use super::codec::{json, msgpack};
    pub use super::proto::{plugin, tfplugin5, tfplugin6};
    pub use super::service::{DynamicInput, ProviderService};
    pub use super::tls::terraform_like_client_certificate;
}
