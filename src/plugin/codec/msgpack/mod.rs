//! The msgpack form of `DynamicValue`, the encoding Terraform always sends and
//! expects back, written to match go-cty's `cty/msgpack` byte for byte.
//!
//! The decoder reads the input slice directly (no intermediate tree), so it
//! never allocates more than the input can back, never recurses deeper than
//! [`MAX_DEPTH`](crate::plugin::codec::MAX_DEPTH), and reports every problem
//! with the attribute path where it was found.

mod decode;
mod encode;
mod reader;
mod unknown;

pub use decode::decode;
pub use encode::encode;

#[cfg(test)]
mod tests;
