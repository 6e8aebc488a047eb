//! The limits every decoder enforces, so that hostile or corrupt input is
//! refused before it can exhaust the stack or memory.

use crate::plugin::codec::error::CodecError;

/// The deepest nesting of types and values the codecs accept.
///
/// It exists so hostile or corrupt input cannot exhaust the stack through
/// recursion; real Terraform schemas stay far below it.
pub(super) const MAX_DEPTH: usize = 64;

/// The largest encoded value (msgpack or JSON) the decoders accept, in bytes.
///
/// Far above any configuration or state a data source sees, and below the
/// 256 MiB gRPC message limit, so a corrupt or hostile message is refused
/// before any work is done on it.
pub(super) const MAX_VALUE_BYTES: usize = 64 << 20;

/// The most values one decoded value may hold, counting every element,
/// attribute and map entry at every level (attributes absent from the input
/// and filled in as null count too).
///
/// Each decoded value takes about a hundred bytes however small its encoding
/// (a msgpack nil is one byte), so this bounds the memory a decode can use to
/// a few hundred MiB whatever the input, where the byte limit alone would not.
pub(super) const MAX_VALUE_ITEMS: usize = 1 << 20;

/// Refuses an encoded value longer than [`MAX_VALUE_BYTES`].
pub(crate) fn check_input_size(len: usize) -> Result<(), CodecError> {
    if len > MAX_VALUE_BYTES {
        Err(CodecError::root(format!(
            "the value takes {len} bytes, more than the {MAX_VALUE_BYTES} bytes allowed"
        )))
    } else {
        Ok(())
    }
}

/// Counts decoded values against [`MAX_VALUE_ITEMS`].
#[derive(Debug, Default)]
pub(crate) struct ItemBudget {
    used: usize,
}

impl ItemBudget {
    /// Accounts for `items` more values; `Err` with a message once the limit is passed.
    pub(crate) fn spend(&mut self, items: usize) -> Result<(), String> {
        self.used = self.used.saturating_add(items);
        if self.used > MAX_VALUE_ITEMS {
            Err(format!(
                "the value holds more than {MAX_VALUE_ITEMS} elements, attributes and entries in all"
            ))
        } else {
            Ok(())
        }
    }
}
