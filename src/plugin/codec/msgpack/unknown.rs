//! Unknown values both ways: msgpack extension values, type 12 carrying
//! cty's refinements (what is known of the value: not null, a string prefix,
//! number bounds, collection length bounds) in a small integer-keyed map.

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::msgpack::encode::Encoder;
use crate::plugin::codec::msgpack::reader::{Head, MsgpackReader};
use crate::plugin::codec::walk::{Reader, Walk};
use crate::plugin::cty::{Refinements, Type, Value};

/// Extension type of an unknown value that carries refinements.
const REFINED_UNKNOWN_EXT: i8 = 12;
/// The largest refinement payload decoders accept (cty's limit).
const MAX_REFINEMENT_PAYLOAD: usize = 1024;
/// The longest string prefix refinement written (cty truncates the same way).
const MAX_PREFIX_LEN: usize = 256;
/// The plain unknown value: fixext1, extension type 0, one zero byte.
const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0x00, 0x00];

const KEY_NULLNESS: i64 = 1;
const KEY_STRING_PREFIX: i64 = 2;
const KEY_NUMBER_MIN: i64 = 3;
const KEY_NUMBER_MAX: i64 = 4;
const KEY_LENGTH_MIN: i64 = 5;
const KEY_LENGTH_MAX: i64 = 6;

/// Decodes the extension value of type `code` with a `len`-byte payload as
/// an unknown of type `ty`: any payload of at most one byte is a plain
/// unknown, a longer one must be type 12 with refinements for `ty`.
pub(super) fn decode(
    walk: &mut Walk<MsgpackReader<'_>>,
    code: i8,
    len: usize,
    ty: &Type,
    depth: usize,
) -> Result<Value, CodecError> {
    let payload = walk.read(|reader| reader.take(len))?;
    if len <= 1 {
        return Ok(Value::unknown());
    }
    if code != REFINED_UNKNOWN_EXT {
        return Err(walk.trail.error(format!(
            "unsupported msgpack extension type {code} with a {len}-byte payload"
        )));
    }
    if len > MAX_REFINEMENT_PAYLOAD {
        return Err(walk.trail.error(format!(
            "the refinements of an unknown value take {len} bytes, more than the {MAX_REFINEMENT_PAYLOAD} allowed"
        )));
    }
    let mut inner = Walk::new(MsgpackReader::new(payload), std::mem::take(&mut walk.trail));
    let result = refinements(&mut inner, ty, depth);
    walk.trail = inner.trail;
    // Bytes after the refinement map are ignored, as cty does (room for future use).
    result.map(Value::Unknown)
}

fn refinements(
    walk: &mut Walk<MsgpackReader<'_>>,
    ty: &Type,
    depth: usize,
) -> Result<Refinements, CodecError> {
    let bad = |walk: &Walk<_>, what: &str| {
        walk.trail
            .error(format!("invalid refinements of an unknown value: {what}"))
    };
    let count = match walk.read(MsgpackReader::head)? {
        Head::Map(n) => n,
        _ => return Err(bad(walk, "not a map")),
    };
    let mut out = Refinements::default();
    if *ty == Type::Dynamic {
        // cty ignores refinements of dynamically-typed unknowns.
        return Ok(out);
    }
    walk.read(|reader| reader.check_count(count, 2))?;
    for _ in 0..count {
        let key = match walk.read(MsgpackReader::head)? {
            Head::Int(k) => k,
            Head::BigUint(_) => i64::MAX,
            _ => return Err(bad(walk, "a key is not an integer")),
        };
        match key {
            KEY_NULLNESS => match walk.read(MsgpackReader::head)? {
                Head::Bool(is_null) => out.not_null = Some(!is_null),
                _ => return Err(bad(walk, "the nullness refinement is not a bool")),
            },
            KEY_STRING_PREFIX => {
                if *ty != Type::String {
                    return Err(bad(
                        walk,
                        "a string prefix refinement for a value that is not a string",
                    ));
                }
                match walk.read(MsgpackReader::head)? {
                    Head::Str(len) | Head::Bin(len) => {
                        out.string_prefix = Some(walk.read(|reader| reader.text(len))?)
                    }
                    _ => return Err(bad(walk, "the string prefix refinement is not a string")),
                }
            }
            KEY_NUMBER_MIN | KEY_NUMBER_MAX => {
                if *ty != Type::Number {
                    return Err(bad(
                        walk,
                        "a number bound refinement for a value that is not a number",
                    ));
                }
                let bound_type = Type::Tuple(vec![Type::Number, Type::Bool]);
                let bound = match walk.value(&bound_type, depth)? {
                    Value::Tuple(items) => match items.as_slice() {
                        [Value::Number(n), Value::Bool(inclusive)] => (n.clone(), *inclusive),
                        _ => return Err(bad(walk, "a number bound must be [number, bool]")),
                    },
                    _ => return Err(bad(walk, "a number bound must be [number, bool]")),
                };
                if key == KEY_NUMBER_MIN {
                    out.number_lower = Some(bound);
                } else {
                    out.number_upper = Some(bound);
                }
            }
            KEY_LENGTH_MIN | KEY_LENGTH_MAX => {
                if !ty.is_collection() {
                    return Err(bad(
                        walk,
                        "a length bound refinement for a value that is not a collection",
                    ));
                }
                let bound = match walk.read(MsgpackReader::head)? {
                    Head::Int(n) => {
                        u64::try_from(n).map_err(|_| bad(walk, "a length bound is negative"))?
                    }
                    Head::BigUint(n) => n,
                    _ => return Err(bad(walk, "a length bound is not an integer")),
                };
                if key == KEY_LENGTH_MIN {
                    out.length_lower = Some(bound);
                } else {
                    out.length_upper = Some(bound);
                }
            }
            // Unknown keys are for future refinements: skip their values.
            _ => walk.read(MsgpackReader::skip)?,
        }
    }
    Ok(out)
}

impl Encoder {
    /// Writes an unknown value of type `ty`: `d4 00 00`, or extension type 12
    /// holding its refinements.
    pub(super) fn unknown(
        &mut self,
        refinements: &Refinements,
        ty: &Type,
    ) -> Result<(), CodecError> {
        // cty never refines dynamically-typed unknowns.
        if *ty == Type::Dynamic {
            self.out.extend_from_slice(&UNKNOWN_BYTES);
            return Ok(());
        }
        let mut body = Encoder {
            out: Vec::new(),
            trail: std::mem::take(&mut self.trail),
        };
        let result = body.refinements(refinements, ty);
        self.trail = std::mem::take(&mut body.trail);
        let count = result?;
        if count == 0 {
            self.out.extend_from_slice(&UNKNOWN_BYTES);
            return Ok(());
        }
        let mut payload = Encoder::default();
        payload.write_map_len(count)?;
        payload.out.extend_from_slice(&body.out);
        if payload.out.len() > MAX_REFINEMENT_PAYLOAD {
            return Err(self.error(format!(
                "the refinements of this unknown value need {} bytes, more than the {MAX_REFINEMENT_PAYLOAD} Terraform accepts",
                payload.out.len()
            )));
        }
        self.write_ext(REFINED_UNKNOWN_EXT, &payload.out)
    }

    /// Writes the refinement map entries (not the map header); returns their count.
    fn refinements(&mut self, r: &Refinements, ty: &Type) -> Result<usize, CodecError> {
        let mut count = 0;
        if let Some(not_null) = r.not_null {
            count += 1;
            self.write_int(KEY_NULLNESS)?;
            // The wire value says "is null".
            self.write_bool(!not_null)?;
        }
        if let Some(prefix) = &r.string_prefix {
            if *ty != Type::String {
                return Err(self.error(format!(
                    "a string prefix refinement cannot apply to {}",
                    ty.expected_phrase()
                )));
            }
            let prefix = truncate_at_char_boundary(prefix, MAX_PREFIX_LEN);
            if !prefix.is_empty() {
                count += 1;
                self.write_int(KEY_STRING_PREFIX)?;
                self.write_str(prefix)?;
            }
        }
        for (key, bound) in [
            (KEY_NUMBER_MIN, &r.number_lower),
            (KEY_NUMBER_MAX, &r.number_upper),
        ] {
            if let Some((number, inclusive)) = bound {
                if *ty != Type::Number {
                    return Err(self.error(format!(
                        "a number bound refinement cannot apply to {}",
                        ty.expected_phrase()
                    )));
                }
                count += 1;
                self.write_int(key)?;
                self.write_array_len(2)?;
                self.write_number(number)?;
                self.write_bool(*inclusive)?;
            }
        }
        for (key, bound) in [
            (KEY_LENGTH_MIN, r.length_lower),
            (KEY_LENGTH_MAX, r.length_upper),
        ] {
            if let Some(length) = bound {
                if !ty.is_collection() {
                    return Err(self.error(format!(
                        "a length bound refinement cannot apply to {}",
                        ty.expected_phrase()
                    )));
                }
                count += 1;
                self.write_int(key)?;
                self.write_uint(length)?;
            }
        }
        Ok(count)
    }
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a char boundary.
fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}
