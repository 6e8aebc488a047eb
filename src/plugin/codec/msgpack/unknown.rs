//! How msgpack carries unknown values, as go-cty writes them: an extension
//! value, type 12 when it holds cty's refinements (what is known of the value:
//! not null, a string prefix, number bounds, collection length bounds) as a
//! small integer-keyed map. The decoder and the encoder both follow these.

/// Extension type of an unknown value that carries refinements.
pub(super) const REFINED_UNKNOWN_EXT: i8 = 12;
/// The largest refinement payload decoders accept (cty's limit).
pub(super) const MAX_REFINEMENT_PAYLOAD: usize = 1024;
/// The longest string prefix refinement written (cty truncates the same way).
pub(super) const MAX_PREFIX_LEN: usize = 256;
/// The plain unknown value: fixext1, extension type 0, one zero byte.
pub(super) const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0x00, 0x00];

/// Refinement map key: whether the value will be null (the wire value says
/// "is null").
pub(super) const KEY_NULLNESS: i64 = 1;
/// Refinement map key: a prefix the final string will have.
pub(super) const KEY_STRING_PREFIX: i64 = 2;
/// Refinement map keys: the lower and upper bound of the final number, each
/// `[number, inclusive]`.
pub(super) const KEY_NUMBER_MIN: i64 = 3;
/// See [`KEY_NUMBER_MIN`].
pub(super) const KEY_NUMBER_MAX: i64 = 4;
/// Refinement map keys: inclusive bounds of the final collection's length.
pub(super) const KEY_LENGTH_MIN: i64 = 5;
/// See [`KEY_LENGTH_MIN`].
pub(super) const KEY_LENGTH_MAX: i64 = 6;
