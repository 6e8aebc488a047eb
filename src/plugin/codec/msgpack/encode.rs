//! Encoding values as msgpack, byte-compatible with go-cty's `cty/msgpack`.

use crate::plugin::codec::error::{preview, CodecError};
use crate::plugin::codec::msgpack::unknown::{
    KEY_LENGTH_MAX, KEY_LENGTH_MIN, KEY_NULLNESS, KEY_NUMBER_MAX, KEY_NUMBER_MIN,
    KEY_STRING_PREFIX, MAX_PREFIX_LEN, MAX_REFINEMENT_PAYLOAD, REFINED_UNKNOWN_EXT, UNKNOWN_BYTES,
};
use crate::plugin::codec::trail::Trail;
use crate::plugin::cty::{float_to_i64, Decimal, Number, Refinements, Type, Value};
use crate::plugin::path::PathStep;

/// Encodes `value` as msgpack for type `ty`, byte-compatible with go-cty:
/// compact ints, float64 only for non-integral or huge numbers, decimal text
/// for numbers neither can hold exactly, object attributes sorted with every
/// attribute present (null when missing from the value), `dynamic` values as
/// `[type JSON, value]`, unknowns as `d4 00 00` or, when refined, ext type 12.
///
/// Lists, sets and tuples are interchangeable as values of any of those types,
/// as are maps and objects, the way cty converts them; anything else that does
/// not fit the type is an error naming the attribute path.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut encoder = Encoder::default();
    encoder.value(value, ty, 0)?;
    Ok(encoder.out)
}

/// An encoding in progress: the bytes so far and where in the value it is.
#[derive(Default)]
struct Encoder {
    out: Vec<u8>,
    trail: Trail,
}

impl Encoder {
    fn error(&self, message: impl Into<String>) -> CodecError {
        self.trail.error(message)
    }

    fn mismatch(&self, ty: &Type, value: &Value) -> CodecError {
        self.error(format!(
            "expected {}, found {}",
            ty.expected_phrase(),
            value.kind_phrase()
        ))
    }

    fn length(&self, len: usize) -> Result<u32, CodecError> {
        u32::try_from(len)
            .map_err(|_| self.error("too large for msgpack (more than 2^32-1 items or bytes)"))
    }

    /// Turns a failed write into an error; writing to a `Vec` cannot fail,
    /// but the msgpack crate's API is fallible.
    fn wrote<T, E: std::fmt::Display>(&self, result: Result<T, E>) -> Result<(), CodecError> {
        result
            .map(|_| ())
            .map_err(|e| self.error(format!("msgpack encoding failed: {e}")))
    }

    /// An integer in its most compact form, as go-cty writes them.
    fn write_int(&mut self, i: i64) -> Result<(), CodecError> {
        let result = rmp::encode::write_sint(&mut self.out, i);
        self.wrote(result)
    }

    fn write_uint(&mut self, u: u64) -> Result<(), CodecError> {
        let result = rmp::encode::write_uint(&mut self.out, u);
        self.wrote(result)
    }

    fn write_f64(&mut self, f: f64) -> Result<(), CodecError> {
        let result = rmp::encode::write_f64(&mut self.out, f);
        self.wrote(result)
    }

    fn write_nil(&mut self) -> Result<(), CodecError> {
        let result = rmp::encode::write_nil(&mut self.out);
        self.wrote(result)
    }

    fn write_bool(&mut self, b: bool) -> Result<(), CodecError> {
        let result = rmp::encode::write_bool(&mut self.out, b);
        self.wrote(result)
    }

    fn write_str(&mut self, s: &str) -> Result<(), CodecError> {
        self.length(s.len())?;
        let result = rmp::encode::write_str(&mut self.out, s);
        self.wrote(result)
    }

    fn write_bin(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        self.length(bytes.len())?;
        let result = rmp::encode::write_bin(&mut self.out, bytes);
        self.wrote(result)
    }

    fn write_array_len(&mut self, len: usize) -> Result<(), CodecError> {
        let len = self.length(len)?;
        let result = rmp::encode::write_array_len(&mut self.out, len);
        self.wrote(result)
    }

    fn write_map_len(&mut self, len: usize) -> Result<(), CodecError> {
        let len = self.length(len)?;
        let result = rmp::encode::write_map_len(&mut self.out, len);
        self.wrote(result)
    }

    /// An extension value; its header takes the smallest form (fixext for
    /// payloads of 1, 2, 4, 8 or 16 bytes), as vmihailenco/msgpack writes it.
    fn write_ext(&mut self, code: i8, payload: &[u8]) -> Result<(), CodecError> {
        let len = self.length(payload.len())?;
        let result = rmp::encode::write_ext_meta(&mut self.out, len, code);
        self.wrote(result)?;
        self.out.extend_from_slice(payload);
        Ok(())
    }

    fn write_number(&mut self, number: &Number) -> Result<(), CodecError> {
        match number {
            Number::Int(i) => self.write_int(*i)?,
            Number::Float(f) => {
                if f.is_nan() {
                    return Err(self.error("NaN cannot be encoded as a number"));
                }
                match float_to_i64(*f) {
                    Some(i) => self.write_int(i)?,
                    None => self.write_f64(*f)?,
                }
            }
            Number::Big(text) => {
                let Some(decimal) = Decimal::parse(text) else {
                    return Err(
                        self.error(format!("{} is not a valid decimal number", preview(text)))
                    );
                };
                if let Some(i) = decimal.to_i64() {
                    self.write_int(i)?;
                } else if let Some(f) = decimal.to_exact_f64() {
                    self.write_f64(f)?;
                } else {
                    self.write_str(text)?;
                }
            }
        }
        Ok(())
    }

    fn value(&mut self, value: &Value, ty: &Type, depth: usize) -> Result<(), CodecError> {
        match value {
            Value::Null => return self.write_nil(),
            Value::Unknown(refinements) => return self.unknown(refinements, ty),
            _ => {}
        }
        match ty {
            Type::Dynamic => {
                let depth = self.trail.enter(depth)?;
                let implied = value.implied_type();
                self.write_array_len(2)?;
                self.write_bin(implied.to_json().as_bytes())?;
                self.value(value, &implied, depth)
            }
            Type::String => match value {
                Value::String(s) => self.write_str(s),
                other => Err(self.mismatch(ty, other)),
            },
            Type::Bool => match value {
                Value::Bool(b) => self.write_bool(*b),
                other => Err(self.mismatch(ty, other)),
            },
            Type::Number => match value {
                Value::Number(n) => self.write_number(n),
                other => Err(self.mismatch(ty, other)),
            },
            Type::List(element) | Type::Set(element) => match value {
                Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                    let depth = self.trail.enter(depth)?;
                    self.write_array_len(items.len())?;
                    self.items(items.iter().zip(std::iter::repeat(&**element)), depth)
                }
                other => Err(self.mismatch(ty, other)),
            },
            Type::Tuple(elements) => match value {
                Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                    if items.len() != elements.len() {
                        return Err(self.error(format!(
                            "expected a tuple of {} elements, found {}",
                            elements.len(),
                            items.len()
                        )));
                    }
                    let depth = self.trail.enter(depth)?;
                    self.write_array_len(items.len())?;
                    self.items(items.iter().zip(elements), depth)
                }
                other => Err(self.mismatch(ty, other)),
            },
            Type::Map(element) => match value {
                Value::Map(entries) | Value::Object(entries) => {
                    let depth = self.trail.enter(depth)?;
                    self.write_map_len(entries.len())?;
                    for (key, item) in entries {
                        self.write_str(key)?;
                        self.trail.push(PathStep::Key(key.clone()));
                        self.value(item, element, depth)?;
                        self.trail.pop();
                    }
                    Ok(())
                }
                other => Err(self.mismatch(ty, other)),
            },
            Type::Object(attributes) => match value {
                Value::Object(entries) | Value::Map(entries) => {
                    if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name))
                    {
                        return Err(self.error(format!("object has no attribute {extra:?}")));
                    }
                    let depth = self.trail.enter(depth)?;
                    self.write_map_len(attributes.len())?;
                    // BTreeMap order is bytewise order of the names, as cty sorts them.
                    for (name, attribute_type) in attributes {
                        self.write_str(name)?;
                        self.trail.push(PathStep::Attribute(name.clone()));
                        self.value(
                            entries.get(name).unwrap_or(&Value::Null),
                            attribute_type,
                            depth,
                        )?;
                        self.trail.pop();
                    }
                    Ok(())
                }
                other => Err(self.mismatch(ty, other)),
            },
        }
    }

    fn items<'v>(
        &mut self,
        items: impl Iterator<Item = (&'v Value, &'v Type)>,
        depth: usize,
    ) -> Result<(), CodecError> {
        for (index, (item, ty)) in items.enumerate() {
            self.trail.push_index(index);
            self.value(item, ty, depth)?;
            self.trail.pop();
        }
        Ok(())
    }

    /// Writes an unknown value of type `ty`: `d4 00 00`, or extension type 12
    /// holding its refinements.
    fn unknown(&mut self, refinements: &Refinements, ty: &Type) -> Result<(), CodecError> {
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
