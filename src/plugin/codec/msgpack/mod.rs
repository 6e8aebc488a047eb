//! The msgpack form of `DynamicValue`, the encoding Terraform always sends and
//! expects back, written to match go-cty's `cty/msgpack` byte for byte.
//!
//! The decoder reads the input slice directly (no intermediate tree), so it
//! never allocates more than the input can back, never recurses deeper than
//! [`MAX_DEPTH`](crate::plugin::codec::MAX_DEPTH), and reports every problem
//! with the attribute path where it was found.

mod encode;
mod reader;
mod unknown;

pub use encode::encode;

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::limits::check_input_size;
use crate::plugin::codec::trail::Trail;
use crate::plugin::codec::walk::Walk;
use crate::plugin::cty::{Type, Value};
use reader::MsgpackReader;

/// Decodes msgpack `bytes` as a value of type `ty`, as go-cty does: nil is null
/// of any type, any extension value is unknown (type 12 with refinements),
/// numbers may come as any int or float width or as decimal text, objects may
/// list their attributes in any order (absent ones become null), and a
/// `dynamic` value is `[type JSON, value]`. The whole input must be one value.
///
/// Input longer than [`MAX_VALUE_BYTES`](crate::plugin::codec::MAX_VALUE_BYTES),
/// holding more than [`MAX_VALUE_ITEMS`](crate::plugin::codec::MAX_VALUE_ITEMS)
/// values, or nested deeper than [`MAX_DEPTH`](crate::plugin::codec::MAX_DEPTH)
/// is refused with an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    check_input_size(bytes.len())?;
    let mut walk = Walk::new(MsgpackReader::new(bytes), Trail::default());
    let value = walk.value(ty, 0)?;
    let trailing = walk.reader.remaining();
    if trailing > 0 {
        return Err(CodecError::root(format!(
            "unexpected {trailing} trailing byte(s) after the msgpack value"
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
