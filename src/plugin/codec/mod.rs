//! The wire encodings of cty values: msgpack (what Terraform sends and
//! expects back), JSON (the `DynamicValue.json` alternative), the cty type
//! JSON, and the limits every decoder enforces. Both decoders share one typed
//! walk (`walk.rs`) over a reader per format. Codecs depend on
//! [`crate::plugin::cty`], never the reverse.

mod error;
pub mod json;
mod json_tree;
mod limits;
pub mod msgpack;
mod trail;
mod type_json;
mod walk;
