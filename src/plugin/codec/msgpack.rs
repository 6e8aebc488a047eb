//! The msgpack form of `DynamicValue`, the encoding Terraform always sends and
//! expects back, written to match go-cty's `cty/msgpack` byte for byte.
//!
//! The decoder reads the input slice directly (no intermediate tree), so it
//! never allocates more than the input can back, never recurses deeper than
//! [`MAX_DEPTH`], and reports every problem with the attribute path where it
//! was found.

use std::collections::BTreeMap;

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::limits::{check_input_size, ItemBudget, MAX_DEPTH};
use crate::plugin::cty::{float_to_i64, Decimal, Number, Refinements, Type, Value};
use crate::plugin::path::{AttributePath, PathStep};

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

// ---------------------------------------------------------------------------
// Decoding

/// Decodes msgpack `bytes` as a value of type `ty`, as go-cty does: nil is null
/// of any type, any extension value is unknown (type 12 with refinements),
/// numbers may come as any int or float width or as decimal text, objects may
/// list their attributes in any order (absent ones become null), and a
/// `dynamic` value is `[type JSON, value]`. The whole input must be one value.
///
/// Input longer than [`MAX_VALUE_BYTES`](crate::plugin::codec::MAX_VALUE_BYTES),
/// holding more than [`MAX_VALUE_ITEMS`](crate::plugin::codec::MAX_VALUE_ITEMS)
/// values, or nested deeper than [`MAX_DEPTH`] is refused with an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    check_input_size(bytes.len())?;
    let mut decoder = Decoder {
        buf: bytes,
        pos: 0,
        steps: Vec::new(),
        budget: ItemBudget::default(),
    };
    let value = decoder.value(ty, 0)?;
    let trailing = bytes.len().saturating_sub(decoder.pos);
    if trailing > 0 {
        return Err(CodecError::root(format!(
            "unexpected {trailing} trailing byte(s) after the msgpack value"
        )));
    }
    Ok(value)
}

/// One msgpack item header: the marker byte and whatever fixed-size data
/// follows it; variable-size bodies (strings, arrays, …) are read separately.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Head {
    Nil,
    Bool(bool),
    Int(i64),
    /// A uint64 too large for `i64`.
    BigUint(u64),
    F32(f32),
    F64(f64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    Ext(i8, usize),
    /// The never-used marker 0xc1.
    Invalid(u8),
}

impl Head {
    fn phrase(self) -> String {
        match self {
            Head::Nil => "nil".to_string(),
            Head::Bool(_) => "a bool".to_string(),
            Head::Int(_) | Head::BigUint(_) | Head::F32(_) | Head::F64(_) => "a number".to_string(),
            Head::Str(_) => "a string".to_string(),
            Head::Bin(_) => "binary data".to_string(),
            Head::Array(_) => "an array".to_string(),
            Head::Map(_) => "a map".to_string(),
            Head::Ext(..) => "an extension value".to_string(),
            Head::Invalid(byte) => format!("the invalid msgpack marker 0x{byte:02x}"),
        }
    }
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    steps: Vec<PathStep>,
    budget: ItemBudget,
}

impl<'a> Decoder<'a> {
    fn error(&self, message: impl Into<String>) -> CodecError {
        CodecError::new(
            AttributePath {
                steps: self.steps.clone(),
            },
            message,
        )
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| self.error("unexpected end of msgpack input"))?;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.error("unexpected end of msgpack input"))?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len8(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(self.u8()?))
    }

    fn len16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(self.u16()?))
    }

    fn len32(&mut self) -> Result<usize, CodecError> {
        let n = self.u32()?;
        usize::try_from(n).map_err(|_| self.error("msgpack length does not fit in memory"))
    }

    fn ext(&mut self, len: usize) -> Result<Head, CodecError> {
        let code = i8::from_be_bytes(self.array()?);
        Ok(Head::Ext(code, len))
    }

    /// Reads one item header. The marker byte is classified by the msgpack
    /// crate; lengths and fixed-size data are read here, bounded by the input.
    fn head(&mut self) -> Result<Head, CodecError> {
        use rmp::Marker;
        let byte = self.u8()?;
        Ok(match Marker::from_u8(byte) {
            Marker::FixPos(n) => Head::Int(i64::from(n)),
            Marker::FixNeg(n) => Head::Int(i64::from(n)),
            Marker::FixMap(n) => Head::Map(usize::from(n)),
            Marker::FixArray(n) => Head::Array(usize::from(n)),
            Marker::FixStr(n) => Head::Str(usize::from(n)),
            Marker::Null => Head::Nil,
            Marker::Reserved => Head::Invalid(byte),
            Marker::False => Head::Bool(false),
            Marker::True => Head::Bool(true),
            Marker::Bin8 => Head::Bin(self.len8()?),
            Marker::Bin16 => Head::Bin(self.len16()?),
            Marker::Bin32 => Head::Bin(self.len32()?),
            Marker::Ext8 => {
                let len = self.len8()?;
                self.ext(len)?
            }
            Marker::Ext16 => {
                let len = self.len16()?;
                self.ext(len)?
            }
            Marker::Ext32 => {
                let len = self.len32()?;
                self.ext(len)?
            }
            Marker::F32 => Head::F32(f32::from_be_bytes(self.array()?)),
            Marker::F64 => Head::F64(f64::from_be_bytes(self.array()?)),
            Marker::U8 => Head::Int(i64::from(self.u8()?)),
            Marker::U16 => Head::Int(i64::from(self.u16()?)),
            Marker::U32 => Head::Int(i64::from(self.u32()?)),
            Marker::U64 => {
                let n = u64::from_be_bytes(self.array()?);
                match i64::try_from(n) {
                    Ok(i) => Head::Int(i),
                    Err(_) => Head::BigUint(n),
                }
            }
            Marker::I8 => Head::Int(i64::from(i8::from_be_bytes(self.array()?))),
            Marker::I16 => Head::Int(i64::from(i16::from_be_bytes(self.array()?))),
            Marker::I32 => Head::Int(i64::from(i32::from_be_bytes(self.array()?))),
            Marker::I64 => Head::Int(i64::from_be_bytes(self.array()?)),
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Str8 => Head::Str(self.len8()?),
            Marker::Str16 => Head::Str(self.len16()?),
            Marker::Str32 => Head::Str(self.len32()?),
            Marker::Array16 => Head::Array(self.len16()?),
            Marker::Array32 => Head::Array(self.len32()?),
            Marker::Map16 => Head::Map(self.len16()?),
            Marker::Map32 => Head::Map(self.len32()?),
        })
    }

    fn text(&mut self, len: usize) -> Result<String, CodecError> {
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => Err(self.error("string is not valid UTF-8")),
        }
    }

    /// Checks that `count` items, each at least `min_bytes` long, can fit in the
    /// rest of the input, so declared sizes never drive allocation or looping.
    fn check_count(&self, count: usize, min_bytes: usize) -> Result<(), CodecError> {
        match count.checked_mul(min_bytes) {
            Some(needed) if needed <= self.remaining() => Ok(()),
            _ => Err(self.error("unexpected end of msgpack input")),
        }
    }

    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("value is nested more than {MAX_DEPTH} levels deep")))
        } else {
            Ok(depth + 1)
        }
    }

    fn mismatch(&self, ty: &Type, found: Head) -> CodecError {
        self.error(format!(
            "expected {}, found {}",
            ty.expected_phrase(),
            found.phrase()
        ))
    }

    fn spend(&mut self, items: usize) -> Result<(), CodecError> {
        self.budget
            .spend(items)
            .map_err(|message| self.error(message))
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        self.spend(1)?;
        let head = self.head()?;
        match head {
            Head::Ext(code, len) => return self.unknown(code, len, ty, depth),
            Head::Nil => return Ok(Value::Null),
            _ => {}
        }
        match ty {
            Type::Dynamic => self.dynamic(head, depth),
            Type::String => match head {
                Head::Str(len) | Head::Bin(len) => self.text(len).map(Value::String),
                other => Err(self.mismatch(ty, other)),
            },
            Type::Bool => match head {
                Head::Bool(b) => Ok(Value::Bool(b)),
                other => Err(self.mismatch(ty, other)),
            },
            Type::Number => self.number(head).map(Value::Number),
            Type::List(element) | Type::Set(element) => {
                let Head::Array(len) = head else {
                    return Err(self.mismatch(ty, head));
                };
                let depth = self.enter(depth)?;
                let items = self.items(len, std::iter::repeat(&**element), depth)?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(items)
                } else {
                    Value::List(items)
                })
            }
            Type::Tuple(elements) => {
                let Head::Array(len) = head else {
                    return Err(self.mismatch(ty, head));
                };
                if len != elements.len() {
                    return Err(self.error(format!(
                        "expected a tuple of {} elements, found an array of {len}",
                        elements.len()
                    )));
                }
                let depth = self.enter(depth)?;
                self.items(len, elements.iter(), depth).map(Value::Tuple)
            }
            Type::Map(element) => {
                let Head::Map(len) = head else {
                    return Err(self.mismatch(ty, head));
                };
                let depth = self.enter(depth)?;
                self.check_count(len, 2)?;
                let mut out = BTreeMap::new();
                for _ in 0..len {
                    let key = self.key()?;
                    if out.contains_key(&key) {
                        return Err(self.error(format!("duplicate map key {key:?}")));
                    }
                    self.steps.push(PathStep::Key(key));
                    let value = self.value(element, depth)?;
                    if let Some(PathStep::Key(key)) = self.steps.pop() {
                        out.insert(key, value);
                    }
                }
                Ok(Value::Map(out))
            }
            Type::Object(attributes) => {
                let Head::Map(len) = head else {
                    return Err(self.mismatch(ty, head));
                };
                let depth = self.enter(depth)?;
                self.check_count(len, 2)?;
                let mut out = BTreeMap::new();
                for _ in 0..len {
                    let name = self.key()?;
                    let Some(attribute_type) = attributes.get(&name) else {
                        return Err(self.error(format!("object has no attribute {name:?}")));
                    };
                    if out.contains_key(&name) {
                        return Err(self.error(format!("duplicate attribute {name:?}")));
                    }
                    self.steps.push(PathStep::Attribute(name));
                    let value = self.value(attribute_type, depth)?;
                    if let Some(PathStep::Attribute(name)) = self.steps.pop() {
                        out.insert(name, value);
                    }
                }
                self.spend(attributes.len().saturating_sub(out.len()))?;
                for name in attributes.keys() {
                    if !out.contains_key(name) {
                        out.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(out))
            }
        }
    }

    fn items<'t>(
        &mut self,
        len: usize,
        types: impl Iterator<Item = &'t Type>,
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        self.check_count(len, 1)?;
        let mut out = Vec::with_capacity(len.min(1024));
        for (index, ty) in types.take(len).enumerate() {
            self.steps
                .push(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)));
            out.push(self.value(ty, depth)?);
            self.steps.pop();
        }
        Ok(out)
    }

    fn key(&mut self) -> Result<String, CodecError> {
        match self.head()? {
            Head::Str(len) | Head::Bin(len) => self.text(len),
            other => Err(self.error(format!(
                "map keys must be strings, found {}",
                other.phrase()
            ))),
        }
    }

    fn number(&mut self, head: Head) -> Result<Number, CodecError> {
        match head {
            Head::Int(i) => Ok(Number::Int(i)),
            Head::BigUint(u) => Ok(Number::Big(u.to_string())),
            Head::F32(f) => self.float(f64::from(f)),
            Head::F64(f) => self.float(f),
            Head::Str(len) | Head::Bin(len) => {
                let text = self.text(len)?;
                Number::parse(&text).ok_or_else(|| {
                    self.error(format!("{} is not a valid decimal number", preview(&text)))
                })
            }
            other => Err(self.mismatch(&Type::Number, other)),
        }
    }

    fn float(&self, f: f64) -> Result<Number, CodecError> {
        if f.is_nan() {
            Err(self.error("NaN is not a valid number"))
        } else {
            Ok(Number::Float(f))
        }
    }

    fn dynamic(&mut self, head: Head, depth: usize) -> Result<Value, CodecError> {
        match head {
            Head::Array(2) => {}
            Head::Array(n) => {
                return Err(self.error(format!(
                    "a dynamically-typed value must be a 2-element array [type, value], found an array of {n}"
                )))
            }
            other => {
                return Err(self.error(format!(
                    "expected a dynamically-typed value (a 2-element array [type, value]), found {}",
                    other.phrase()
                )))
            }
        }
        let type_json = match self.head()? {
            Head::Bin(len) | Head::Str(len) => self.take(len)?,
            other => {
                let found = other.phrase();
                return Err(self.error(format!(
                    "the type of a dynamically-typed value must be JSON bytes, found {found}"
                )));
            }
        };
        let ty = Type::from_json(type_json).map_err(|e| {
            self.error(format!(
                "invalid type in a dynamically-typed value: {}",
                e.message
            ))
        })?;
        let depth = self.enter(depth)?;
        self.value(&ty, depth)
    }

    fn unknown(
        &mut self,
        code: i8,
        len: usize,
        ty: &Type,
        depth: usize,
    ) -> Result<Value, CodecError> {
        let payload = self.take(len)?;
        if len <= 1 {
            return Ok(Value::unknown());
        }
        if code != REFINED_UNKNOWN_EXT {
            return Err(self.error(format!(
                "unsupported msgpack extension type {code} with a {len}-byte payload"
            )));
        }
        if len > MAX_REFINEMENT_PAYLOAD {
            return Err(self.error(format!(
                "the refinements of an unknown value take {len} bytes, more than the {MAX_REFINEMENT_PAYLOAD} allowed"
            )));
        }
        let mut inner = Decoder {
            buf: payload,
            pos: 0,
            steps: std::mem::take(&mut self.steps),
            budget: ItemBudget::default(),
        };
        let result = inner.refinements(ty, depth);
        self.steps = inner.steps;
        // Bytes after the refinement map are ignored, as cty does (room for future use).
        result.map(Value::Unknown)
    }

    fn refinements(&mut self, ty: &Type, depth: usize) -> Result<Refinements, CodecError> {
        let bad = |this: &Self, what: &str| {
            this.error(format!("invalid refinements of an unknown value: {what}"))
        };
        let count = match self.head()? {
            Head::Map(n) => n,
            _ => return Err(bad(self, "not a map")),
        };
        let mut out = Refinements::default();
        if *ty == Type::Dynamic {
            // cty ignores refinements of dynamically-typed unknowns.
            return Ok(out);
        }
        self.check_count(count, 2)?;
        for _ in 0..count {
            let key = match self.head()? {
                Head::Int(k) => k,
                Head::BigUint(_) => i64::MAX,
                _ => return Err(bad(self, "a key is not an integer")),
            };
            match key {
                KEY_NULLNESS => match self.head()? {
                    Head::Bool(is_null) => out.not_null = Some(!is_null),
                    _ => return Err(bad(self, "the nullness refinement is not a bool")),
                },
                KEY_STRING_PREFIX => {
                    if *ty != Type::String {
                        return Err(bad(
                            self,
                            "a string prefix refinement for a value that is not a string",
                        ));
                    }
                    match self.head()? {
                        Head::Str(len) | Head::Bin(len) => {
                            out.string_prefix = Some(self.text(len)?)
                        }
                        _ => return Err(bad(self, "the string prefix refinement is not a string")),
                    }
                }
                KEY_NUMBER_MIN | KEY_NUMBER_MAX => {
                    if *ty != Type::Number {
                        return Err(bad(
                            self,
                            "a number bound refinement for a value that is not a number",
                        ));
                    }
                    let bound_type = Type::Tuple(vec![Type::Number, Type::Bool]);
                    let bound = match self.value(&bound_type, depth)? {
                        Value::Tuple(items) => match items.as_slice() {
                            [Value::Number(n), Value::Bool(inclusive)] => (n.clone(), *inclusive),
                            _ => return Err(bad(self, "a number bound must be [number, bool]")),
                        },
                        _ => return Err(bad(self, "a number bound must be [number, bool]")),
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
                            self,
                            "a length bound refinement for a value that is not a collection",
                        ));
                    }
                    let bound = match self.head()? {
                        Head::Int(n) => {
                            u64::try_from(n).map_err(|_| bad(self, "a length bound is negative"))?
                        }
                        Head::BigUint(n) => n,
                        _ => return Err(bad(self, "a length bound is not an integer")),
                    };
                    if key == KEY_LENGTH_MIN {
                        out.length_lower = Some(bound);
                    } else {
                        out.length_upper = Some(bound);
                    }
                }
                // Unknown keys are for future refinements: skip their values.
                _ => self.skip()?,
            }
        }
        Ok(out)
    }

    /// Skips one msgpack item of any shape without recursion.
    fn skip(&mut self) -> Result<(), CodecError> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            match self.head()? {
                Head::Str(len) | Head::Bin(len) | Head::Ext(_, len) => {
                    self.take(len)?;
                }
                Head::Array(n) => {
                    self.check_count(n, 1)?;
                    pending = pending.saturating_add(n);
                }
                Head::Map(n) => {
                    self.check_count(n, 2)?;
                    pending = pending.saturating_add(n.saturating_mul(2));
                }
                Head::Invalid(byte) => {
                    return Err(self.error(format!("invalid msgpack marker 0x{byte:02x}")))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The start of `text`, quoted, for error messages (bounded length).
fn preview(text: &str) -> String {
    const LIMIT: usize = 40;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{:?}…", text.get(..cut).unwrap_or("")),
        None => format!("{text:?}"),
    }
}

// ---------------------------------------------------------------------------
// Encoding

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
    let mut encoder = Encoder {
        out: Vec::new(),
        steps: Vec::new(),
    };
    encoder.value(value, ty, 0)?;
    Ok(encoder.out)
}

struct Encoder {
    out: Vec<u8>,
    steps: Vec<PathStep>,
}

impl Encoder {
    fn error(&self, message: impl Into<String>) -> CodecError {
        CodecError::new(
            AttributePath {
                steps: self.steps.clone(),
            },
            message,
        )
    }

    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("value is nested more than {MAX_DEPTH} levels deep")))
        } else {
            Ok(depth + 1)
        }
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
                let depth = self.enter(depth)?;
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
                    let depth = self.enter(depth)?;
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
                    let depth = self.enter(depth)?;
                    self.write_array_len(items.len())?;
                    self.items(items.iter().zip(elements), depth)
                }
                other => Err(self.mismatch(ty, other)),
            },
            Type::Map(element) => match value {
                Value::Map(entries) | Value::Object(entries) => {
                    let depth = self.enter(depth)?;
                    self.write_map_len(entries.len())?;
                    for (key, item) in entries {
                        self.write_str(key)?;
                        self.steps.push(PathStep::Key(key.clone()));
                        self.value(item, element, depth)?;
                        self.steps.pop();
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
                    let depth = self.enter(depth)?;
                    self.write_map_len(attributes.len())?;
                    // BTreeMap order is bytewise order of the names, as cty sorts them.
                    for (name, attribute_type) in attributes {
                        self.write_str(name)?;
                        self.steps.push(PathStep::Attribute(name.clone()));
                        self.value(
                            entries.get(name).unwrap_or(&Value::Null),
                            attribute_type,
                            depth,
                        )?;
                        self.steps.pop();
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
            self.steps
                .push(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)));
            self.value(item, ty, depth)?;
            self.steps.pop();
        }
        Ok(())
    }

    fn unknown(&mut self, refinements: &Refinements, ty: &Type) -> Result<(), CodecError> {
        // cty never refines dynamically-typed unknowns.
        if *ty == Type::Dynamic {
            self.out.extend_from_slice(&UNKNOWN_BYTES);
            return Ok(());
        }
        let mut body = Encoder {
            out: Vec::new(),
            steps: std::mem::take(&mut self.steps),
        };
        let result = body.refinements(refinements, ty);
        self.steps = std::mem::take(&mut body.steps);
        let count = result?;
        if count == 0 {
            self.out.extend_from_slice(&UNKNOWN_BYTES);
            return Ok(());
        }
        let mut payload = Encoder {
            out: Vec::new(),
            steps: Vec::new(),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    fn obj(entries: Vec<(&str, Value)>) -> Value {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    fn round_trip(value: &Value, ty: &Type) {
        let bytes = encode(value, ty).unwrap_or_else(|e| panic!("encode {value:?}: {e}"));
        let back = decode(&bytes, ty).unwrap_or_else(|e| panic!("decode {bytes:02x?}: {e}"));
        assert_eq!(&back, value, "bytes {bytes:02x?}");
    }

    #[test]
    fn strings() {
        for s in [
            "",
            "abc",
            "héllo wörld ✓ 😀",
            &"x".repeat(31),
            &"y".repeat(32),
            &"z".repeat(300),
            &"w".repeat(70_000),
        ] {
            round_trip(&Value::from(s), &Type::String);
        }
        assert_eq!(
            encode(&Value::from("abc"), &Type::String).unwrap(),
            hex("a3 616263")
        );
        assert_eq!(
            encode(&Value::from("é"), &Type::String).unwrap(),
            hex("a2 c3a9")
        );
        assert_eq!(
            &encode(&Value::from("y".repeat(32).as_str()), &Type::String).unwrap()[..2],
            &hex("d9 20")[..]
        );
        assert_eq!(
            &encode(&Value::from("y".repeat(256).as_str()), &Type::String).unwrap()[..3],
            &hex("da 0100")[..]
        );
        // str8/16/32 and bin all decode as strings.
        assert_eq!(
            decode(&hex("d9 03 616263"), &Type::String),
            Ok(Value::from("abc"))
        );
        assert_eq!(
            decode(&hex("da 0003 616263"), &Type::String),
            Ok(Value::from("abc"))
        );
        assert_eq!(
            decode(&hex("db 00000003 616263"), &Type::String),
            Ok(Value::from("abc"))
        );
        assert_eq!(
            decode(&hex("c4 03 616263"), &Type::String),
            Ok(Value::from("abc"))
        );
        assert!(decode(&hex("a2 c328"), &Type::String).is_err());
    }

    #[test]
    fn numbers_encode_like_cty() {
        let cases: Vec<(Number, &str)> = vec![
            (Number::Int(0), "00"),
            (Number::Int(3), "03"),
            (Number::Int(127), "7f"),
            (Number::Int(128), "cc 80"),
            (Number::Int(255), "cc ff"),
            (Number::Int(256), "cd 0100"),
            (Number::Int(65_536), "ce 00010000"),
            (Number::Int(4_294_967_296), "cf 0000000100000000"),
            (Number::Int(-1), "ff"),
            (Number::Int(-32), "e0"),
            (Number::Int(-33), "d0 df"),
            (Number::Int(-128), "d0 80"),
            (Number::Int(-129), "d1 ff7f"),
            (Number::Int(-32_769), "d2 ffff7fff"),
            (Number::Int(i64::MIN), "d3 8000000000000000"),
            (Number::Float(3.0), "03"),
            (Number::Float(-0.0), "00"),
            (Number::Float(1.5), "cb 3ff8000000000000"),
            (Number::Float(1e20), "cb 4415af1d78b58c40"),
            (Number::Float(f64::INFINITY), "cb 7ff0000000000000"),
            (Number::Float(f64::NEG_INFINITY), "cb fff0000000000000"),
            (Number::Big("42".into()), "2a"),
            (Number::Big("-4.2e1".into()), "d0 d6"),
            (Number::Big("0.5".into()), "cb 3fe0000000000000"),
            (
                Number::Big("18446744073709551616".into()),
                "cb 43f0000000000000",
            ),
            (Number::Big("0.1".into()), "a3 302e31"),
        ];
        for (number, expected) in cases {
            assert_eq!(
                encode(&Value::Number(number.clone()), &Type::Number).unwrap(),
                hex(expected),
                "{number:?}"
            );
        }
        let big = "123456789012345678901234567890";
        let mut expected = vec![0xa0 | 30];
        expected.extend_from_slice(big.as_bytes());
        assert_eq!(
            encode(&Value::Number(Number::Big(big.into())), &Type::Number).unwrap(),
            expected
        );
        assert!(encode(&Value::from(f64::NAN), &Type::Number).is_err());
        assert!(encode(&Value::Number(Number::Big("12abc".into())), &Type::Number).is_err());
    }

    #[test]
    fn numbers_decode_every_width() {
        let cases: Vec<(&str, Number)> = vec![
            ("05", Number::Int(5)),
            ("7f", Number::Int(127)),
            ("ff", Number::Int(-1)),
            ("e0", Number::Int(-32)),
            ("cc ff", Number::Int(255)),
            ("cd ffff", Number::Int(65_535)),
            ("ce ffffffff", Number::Int(4_294_967_295)),
            ("cf 7fffffffffffffff", Number::Int(i64::MAX)),
            (
                "cf ffffffffffffffff",
                Number::Big("18446744073709551615".into()),
            ),
            ("d0 80", Number::Int(-128)),
            ("d1 8000", Number::Int(-32_768)),
            ("d2 80000000", Number::Int(-2_147_483_648)),
            ("d3 8000000000000000", Number::Int(i64::MIN)),
            ("ca 3fc00000", Number::Float(1.5)),
            ("cb 3ff8000000000000", Number::Float(1.5)),
            ("cb 4008000000000000", Number::Float(3.0)),
            ("cb 7ff0000000000000", Number::Float(f64::INFINITY)),
            ("ca ff800000", Number::Float(f64::NEG_INFINITY)),
            ("a2 3132", Number::Int(12)),
            ("a4 2d312e30", Number::Int(-1)),
            ("a3 302e31", Number::Big("0.1".into())),
            ("a5 3165343030", Number::Big("1e400".into())),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                decode(&hex(bytes), &Type::Number),
                Ok(Value::Number(expected)),
                "{bytes}"
            );
        }
        assert!(decode(&hex("cb 7ff8000000000000"), &Type::Number).is_err()); // NaN
        assert!(decode(&hex("a3 616263"), &Type::Number).is_err());
        assert!(decode(&hex("c3"), &Type::Number).is_err());
        for n in [
            Number::Int(0),
            Number::Int(-1),
            Number::Int(i64::MAX),
            Number::Int(i64::MIN),
            Number::Float(0.25),
            Number::Float(-1e300),
            Number::Float(f64::INFINITY),
            Number::Big("18446744073709551615".into()),
            Number::Big("123456789012345678901234567890.125".into()),
            Number::Big("1e400".into()),
        ] {
            round_trip(&Value::Number(n), &Type::Number);
        }
    }

    #[test]
    fn bools_and_nulls() {
        assert_eq!(encode(&Value::from(true), &Type::Bool).unwrap(), hex("c3"));
        assert_eq!(encode(&Value::from(false), &Type::Bool).unwrap(), hex("c2"));
        round_trip(&Value::from(true), &Type::Bool);
        round_trip(&Value::from(false), &Type::Bool);
        for ty in [
            Type::String,
            Type::Number,
            Type::Bool,
            Type::Dynamic,
            Type::list(Type::String),
            Type::set(Type::String),
            Type::map(Type::String),
            Type::object([("a", Type::String)]),
            Type::tuple(vec![Type::String]),
        ] {
            assert_eq!(encode(&Value::Null, &ty).unwrap(), hex("c0"));
            assert_eq!(decode(&hex("c0"), &ty), Ok(Value::Null));
        }
    }

    #[test]
    fn collections() {
        let list = Value::List(vec![Value::from("a"), Value::Null, Value::from("c")]);
        assert_eq!(
            encode(&list, &Type::list(Type::String)).unwrap(),
            hex("93 a161 c0 a163")
        );
        round_trip(&list, &Type::list(Type::String));
        round_trip(&Value::List(vec![]), &Type::list(Type::String));
        round_trip(
            &Value::Set(vec![Value::from(1), Value::from(2)]),
            &Type::set(Type::Number),
        );
        round_trip(&Value::Set(vec![]), &Type::set(Type::Number));
        let long = Value::List((0..20).map(Value::from).collect());
        assert_eq!(
            &encode(&long, &Type::list(Type::Number)).unwrap()[..3],
            &hex("dc 0014")[..]
        );
        round_trip(&long, &Type::list(Type::Number));
        let map = Value::Map(BTreeMap::from([
            ("b".to_string(), Value::from(true)),
            ("a".to_string(), Value::Null),
        ]));
        assert_eq!(
            encode(&map, &Type::map(Type::Bool)).unwrap(),
            hex("82 a161 c0 a162 c3")
        );
        round_trip(&map, &Type::map(Type::Bool));
        round_trip(&Value::Map(BTreeMap::new()), &Type::map(Type::Bool));
        let tuple = Value::Tuple(vec![Value::from("x"), Value::from(1), Value::Null]);
        let tuple_type = Type::tuple(vec![Type::String, Type::Number, Type::Bool]);
        assert_eq!(encode(&tuple, &tuple_type).unwrap(), hex("93 a178 01 c0"));
        round_trip(&tuple, &tuple_type);
        round_trip(&Value::Tuple(vec![]), &Type::tuple(vec![]));
        // Nested collections with nulls at every level.
        let nested = Value::List(vec![
            Value::Null,
            Value::Map(BTreeMap::from([
                (
                    "k".to_string(),
                    Value::Set(vec![Value::Null, Value::from("v")]),
                ),
                ("n".to_string(), Value::Null),
            ])),
        ]);
        round_trip(&nested, &Type::list(Type::map(Type::set(Type::String))));
        // A list value may be written for a set type and vice versa (cty converts).
        assert_eq!(
            encode(&Value::List(vec![Value::from(1)]), &Type::set(Type::Number)).unwrap(),
            hex("91 01")
        );
        // Wider array and map headers decode.
        assert_eq!(
            decode(&hex("dd 00000001 a161"), &Type::list(Type::String)),
            Ok(Value::List(vec![Value::from("a")]))
        );
        assert_eq!(
            decode(&hex("de 0001 a161 c3"), &Type::map(Type::Bool)),
            Ok(Value::Map(BTreeMap::from([(
                "a".to_string(),
                Value::from(true)
            )])))
        );
        assert_eq!(
            decode(&hex("df 00000001 a161 c3"), &Type::map(Type::Bool)),
            Ok(Value::Map(BTreeMap::from([(
                "a".to_string(),
                Value::from(true)
            )])))
        );
    }

    #[test]
    fn objects() {
        let ty = Type::object([
            ("input", Type::String),
            ("num", Type::Number),
            ("id", Type::String),
        ]);
        let value = obj(vec![
            ("id", Value::Null),
            ("input", Value::from("abc")),
            ("num", Value::from(3)),
        ]);
        let expected = hex("83 a2 69 64 c0 a5 69 6e 70 75 74 a3 61 62 63 a3 6e 75 6d 03");
        assert_eq!(encode(&value, &ty).unwrap(), expected);
        assert_eq!(decode(&expected, &ty), Ok(value.clone()));
        // An attribute missing from the value is written as nil.
        let partial = obj(vec![("input", Value::from("abc")), ("num", Value::from(3))]);
        assert_eq!(encode(&partial, &ty).unwrap(), expected);
        // Keys are sorted bytewise ("B" < "_" < "a" < "é").
        let sorted = Type::object([
            ("é", Type::Bool),
            ("a", Type::Bool),
            ("_", Type::Bool),
            ("B", Type::Bool),
        ]);
        let bytes = encode(&obj(vec![]), &sorted).unwrap();
        assert_eq!(bytes, hex("84 a142 c0 a15f c0 a161 c0 a2c3a9 c0"));
        // Any key order decodes; absent attributes become null.
        assert_eq!(
            decode(&hex("82 a3 6e 75 6d 03 a2 69 64 a1 78"), &ty),
            Ok(obj(vec![
                ("id", Value::from("x")),
                ("input", Value::Null),
                ("num", Value::from(3))
            ]))
        );
        assert_eq!(
            decode(&hex("80"), &ty),
            Ok(obj(vec![
                ("id", Value::Null),
                ("input", Value::Null),
                ("num", Value::Null)
            ]))
        );
        // Nested objects.
        let nested_type = Type::object([
            (
                "outer",
                Type::object([("inner", Type::object([("leaf", Type::String)]))]),
            ),
            ("list", Type::list(Type::object([("x", Type::Number)]))),
        ]);
        let nested = obj(vec![
            (
                "outer",
                obj(vec![("inner", obj(vec![("leaf", Value::from("deep"))]))]),
            ),
            (
                "list",
                Value::List(vec![
                    obj(vec![("x", Value::from(1))]),
                    Value::Null,
                    obj(vec![("x", Value::Null)]),
                ]),
            ),
        ]);
        round_trip(&nested, &nested_type);
        round_trip(
            &obj(vec![("outer", Value::Null), ("list", Value::Null)]),
            &nested_type,
        );
        round_trip(&obj(vec![]), &Type::object(Vec::<(String, Type)>::new()));
    }

    #[test]
    fn dynamic_values() {
        let cases = vec![
            (Value::from("s"), "92 c4 08 22737472696e6722 a1 73"),
            (Value::from(5), "92 c4 08 226e756d62657222 05"),
            (Value::from(true), "92 c4 06 22626f6f6c22 c3"),
        ];
        for (value, expected) in cases {
            assert_eq!(encode(&value, &Type::Dynamic).unwrap(), hex(expected));
            assert_eq!(decode(&hex(expected), &Type::Dynamic), Ok(value));
        }
        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), hex("c0"));
        assert_eq!(
            encode(&Value::unknown(), &Type::Dynamic).unwrap(),
            hex("d4 00 00")
        );
        for value in [
            Value::List(vec![Value::from("a"), Value::from("b")]),
            Value::List(vec![]),
            Value::Set(vec![Value::from(1.5)]),
            Value::Map(BTreeMap::from([("k".to_string(), Value::from(1))])),
            obj(vec![
                ("a", Value::from("x")),
                ("b", Value::List(vec![Value::from(true)])),
            ]),
            Value::Tuple(vec![Value::from("x"), Value::from(2)]),
            Value::List(vec![Value::Null, Value::from("b")]),
        ] {
            round_trip(&value, &Type::Dynamic);
            round_trip(
                &obj(vec![("d", value.clone())]),
                &Type::object([("d", Type::Dynamic)]),
            );
        }
        // The type JSON may also be a str, and a list of dynamic nests wrappers.
        let bytes = hex("92 a8 22737472696e6722 a1 73");
        assert_eq!(decode(&bytes, &Type::Dynamic), Ok(Value::from("s")));
        let list_of_dynamic = Value::List(vec![Value::from("a"), Value::from(1)]);
        let bytes = encode(&list_of_dynamic, &Type::list(Type::Dynamic)).unwrap();
        assert_eq!(
            bytes,
            hex("92 92 c4 08 22737472696e6722 a1 61 92 c4 08 226e756d62657222 01")
        );
        assert_eq!(
            decode(&bytes, &Type::list(Type::Dynamic)),
            Ok(list_of_dynamic)
        );
        // A dynamic wrapper holding null or unknown.
        assert_eq!(
            decode(&hex("92 c4 08 22737472696e6722 c0"), &Type::Dynamic),
            Ok(Value::Null)
        );
        assert_eq!(
            decode(&hex("92 c4 08 22737472696e6722 d4 00 00"), &Type::Dynamic),
            Ok(Value::unknown())
        );
        // Malformed wrappers.
        for bad in [
            "91 c4 08 22737472696e6722",
            "93 c4 08 22737472696e6722 a1 73 c0",
            "a1 73",
            "92 01 a1 73",
            "92 c4 03 22782a a1 73",
            "92 c4 08 22737472696e6722 05",
        ] {
            assert!(decode(&hex(bad), &Type::Dynamic).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknowns() {
        assert_eq!(
            encode(&Value::unknown(), &Type::String).unwrap(),
            hex("d4 00 00")
        );
        assert_eq!(
            decode(&hex("d4 00 00"), &Type::String),
            Ok(Value::unknown())
        );
        assert_eq!(
            encode(
                &obj(vec![("a", Value::unknown())]),
                &Type::object([("a", Type::list(Type::String))])
            )
            .unwrap(),
            hex("81 a161 d4 00 00")
        );
        // Every ext header form with a payload of at most one byte is a plain unknown, whatever its type.
        for bytes in [
            "d4 05 ff",
            "c7 00 00",
            "c7 01 07 aa",
            "c8 0000 00",
            "c8 0001 01 00",
            "c9 00000000 00",
            "c9 00000001 0c 00",
        ] {
            for ty in [
                Type::String,
                Type::Dynamic,
                Type::object([("a", Type::Bool)]),
            ] {
                assert_eq!(decode(&hex(bytes), &ty), Ok(Value::unknown()), "{bytes}");
            }
        }
        // Longer payloads must be type 12.
        for bytes in [
            "d5 00 0000",
            "d6 01 00000000",
            "d7 02 0000000000000000",
            "d8 03 00000000000000000000000000000000",
            "c7 02 05 0000",
        ] {
            assert!(decode(&hex(bytes), &Type::String).is_err(), "{bytes}");
        }
        // All header forms carry refinements: a one-entry map {1: false} is 3 bytes, padded to the fixext size.
        let not_null = Value::Unknown(Refinements {
            not_null: Some(true),
            ..Refinements::default()
        });
        for bytes in [
            "c7 03 0c 81 01 c2",
            "c8 0003 0c 81 01 c2",
            "c9 00000003 0c 81 01 c2",
        ] {
            assert_eq!(
                decode(&hex(bytes), &Type::String),
                Ok(not_null.clone()),
                "{bytes}"
            );
        }
        // fixext2 cannot hold the entry's value: truncated refinements are an error.
        assert!(decode(&hex("d5 0c 81 01"), &Type::String).is_err());
        for bytes in [
            "d6 0c 81 01 c2 00",
            "d7 0c 81 01 c2 0000000000",
            "d8 0c 81 01 c2 00000000000000000000000000",
        ] {
            // Trailing payload bytes after the map are ignored, as cty does.
            assert_eq!(
                decode(&hex(bytes), &Type::String),
                Ok(not_null.clone()),
                "{bytes}"
            );
        }
        assert_eq!(
            encode(&not_null, &Type::String).unwrap(),
            hex("c7 03 0c 81 01 c2")
        );
    }

    #[test]
    fn refined_unknown_exact_bytes() {
        let bytes = hex("c7 09 0c 82 01 c2 02 a4 70 72 65 2d");
        let expected = Value::Unknown(Refinements {
            not_null: Some(true),
            string_prefix: Some("pre-".to_string()),
            ..Refinements::default()
        });
        assert_eq!(decode(&bytes, &Type::String), Ok(expected.clone()));
        assert_eq!(encode(&expected, &Type::String).unwrap(), bytes);
        // Dynamic-typed unknowns drop refinements both ways, like cty.
        assert_eq!(decode(&bytes, &Type::Dynamic), Ok(Value::unknown()));
        assert_eq!(encode(&expected, &Type::Dynamic).unwrap(), hex("d4 00 00"));
    }

    #[test]
    fn refinement_round_trips() {
        let number = Value::Unknown(Refinements {
            not_null: Some(true),
            number_lower: Some((Number::Int(-5), true)),
            number_upper: Some((Number::Float(2.5), false)),
            ..Refinements::default()
        });
        let bytes = encode(&number, &Type::Number).unwrap();
        assert_eq!(
            bytes,
            hex("c7 13 0c 83 01 c2 03 92 fb c3 04 92 cb 4004000000000000 c2")
        );
        assert_eq!(decode(&bytes, &Type::Number), Ok(number));
        let big_bounds = Value::Unknown(Refinements {
            number_lower: Some((Number::Big("-1e400".into()), false)),
            number_upper: Some((Number::Float(f64::INFINITY), true)),
            ..Refinements::default()
        });
        round_trip(&big_bounds, &Type::Number);
        let collection = Value::Unknown(Refinements {
            not_null: Some(false),
            length_lower: Some(1),
            length_upper: Some(300),
            ..Refinements::default()
        });
        let bytes = encode(&collection, &Type::list(Type::String)).unwrap();
        assert_eq!(bytes, hex("c7 09 0c 83 01 c3 05 01 06 cd 012c"));
        for ty in [
            Type::list(Type::String),
            Type::set(Type::Number),
            Type::map(Type::Bool),
        ] {
            round_trip(&collection, &ty);
        }
        round_trip(
            &Value::Unknown(Refinements {
                string_prefix: Some("https://".into()),
                ..Refinements::default()
            }),
            &Type::String,
        );
        // Not-null alone on object types.
        round_trip(
            &Value::Unknown(Refinements {
                not_null: Some(true),
                ..Refinements::default()
            }),
            &Type::object([("a", Type::String)]),
        );
        // An empty prefix is no refinement at all.
        let empty = Value::Unknown(Refinements {
            string_prefix: Some(String::new()),
            ..Refinements::default()
        });
        assert_eq!(encode(&empty, &Type::String).unwrap(), hex("d4 00 00"));
        // Long prefixes are truncated to 256 bytes at a char boundary.
        let long = Value::Unknown(Refinements {
            string_prefix: Some(format!("{}é{}", "a".repeat(255), "b".repeat(100))),
            ..Refinements::default()
        });
        let decoded = decode(&encode(&long, &Type::String).unwrap(), &Type::String).unwrap();
        assert_eq!(
            decoded,
            Value::Unknown(Refinements {
                string_prefix: Some("a".repeat(255)),
                ..Refinements::default()
            })
        );
        // Refinements that cannot apply to the type are refused on encode.
        assert!(encode(&long, &Type::Number).is_err());
        assert!(encode(&collection, &Type::String).is_err());
        assert!(encode(&collection, &Type::tuple(vec![])).is_err());
        assert!(encode(
            &Value::Unknown(Refinements {
                number_lower: Some((Number::Int(1), true)),
                ..Refinements::default()
            }),
            &Type::String
        )
        .is_err());
    }

    #[test]
    fn malformed_refinements() {
        let cases = [
            "c7 02 0c 01 c2",             // not a map
            "c7 03 0c 81 c2 c2",          // non-integer key
            "c7 03 0c 81 01 01",          // nullness not a bool
            "c7 03 0c 81 02 01",          // prefix not a string
            "c7 04 0c 81 03 91 01",       // bound not a pair
            "c7 05 0c 81 03 92 c0 c3",    // bound null
            "c7 05 0c 81 03 92 d4 00 00", // truncated: bound pair cut
            "c7 03 0c 81 05 ff",          // negative length (wrong type anyway)
            "c7 05 0c 82 01 c2 07",       // truncated entry
        ];
        for bytes in cases {
            assert!(decode(&hex(bytes), &Type::Number).is_err(), "{bytes}");
        }
        // Refinements for another type are refused, as cty does.
        assert!(decode(&hex("c7 04 0c 81 02 a1 61"), &Type::Number).is_err());
        assert!(decode(&hex("c7 03 0c 81 05 01"), &Type::String).is_err());
        assert!(decode(&hex("c7 03 0c 81 05 ff"), &Type::list(Type::String)).is_err());
        assert!(decode(&hex("c7 06 0c 81 03 92 01 c3"), &Type::String).is_err());
        // Unknown keys are skipped, whatever their value's shape.
        let bytes = hex("c7 0e 0c 82 63 92 81 a1 61 c4 01 ff d4 00 00 01 c2");
        assert_eq!(
            decode(&bytes, &Type::String),
            Ok(Value::Unknown(Refinements {
                not_null: Some(true),
                ..Refinements::default()
            }))
        );
        // Payloads over 1024 bytes are refused; exactly 1024 is fine.
        let mut ok = hex("c8 0400 0c 81 01 c2");
        ok.resize(4 + 1024, 0);
        assert!(decode(&ok, &Type::String).is_ok());
        let mut too_big = hex("c8 0401 0c 81 01 c2");
        too_big.resize(4 + 1025, 0);
        assert!(decode(&too_big, &Type::String).is_err());
    }

    #[test]
    fn wrong_shapes_report_paths() {
        let ty = Type::object([(
            "items",
            Type::list(Type::object([
                ("name", Type::String),
                ("tags", Type::map(Type::Number)),
                ("pair", Type::tuple(vec![Type::String, Type::Bool])),
            ])),
        )]);
        let item = |name: Value, tags: Value, pair: Value| {
            obj(vec![("name", name), ("tags", tags), ("pair", pair)])
        };
        let good = item(Value::from("a"), Value::Null, Value::Null);

        let bad = obj(vec![(
            "items",
            Value::List(vec![
                good.clone(),
                item(Value::Map(BTreeMap::new()), Value::Null, Value::Null),
            ]),
        )]);
        let err = encode(&bad, &ty).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attribute("items")
                .then_index(1)
                .then_attribute("name")
        );
        assert_eq!(err.message, "expected a string, found a map");
        assert_eq!(
            err.to_string(),
            "items[1].name: expected a string, found a map"
        );

        let bad_tags = Value::Map(BTreeMap::from([("k".to_string(), Value::from("x"))]));
        let bad = obj(vec![(
            "items",
            Value::List(vec![item(Value::from("a"), bad_tags, Value::Null)]),
        )]);
        let err = encode(&bad, &ty).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attribute("items")
                .then_index(0)
                .then_attribute("tags")
                .then_key("k")
        );
        assert_eq!(err.message, "expected a number, found a string");

        let bad = obj(vec![(
            "items",
            Value::List(vec![item(
                Value::from("a"),
                Value::Null,
                Value::Tuple(vec![Value::from("x")]),
            )]),
        )]);
        let err = encode(&bad, &ty).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attribute("items")
                .then_index(0)
                .then_attribute("pair")
        );

        let bad = obj(vec![(
            "items",
            Value::List(vec![obj(vec![("foo", Value::from(1))])]),
        )]);
        let err = encode(&bad, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("items").then_index(0));
        assert_eq!(err.message, "object has no attribute \"foo\"");

        // Decoding: a string where a bool belongs, deep inside.
        let mut bytes = encode(
            &obj(vec![(
                "items",
                Value::List(vec![good.clone(), good.clone()]),
            )]),
            &ty,
        )
        .unwrap();
        // Replace the second item's name "a" (a1 61) with an int, then expect a path.
        let pos = bytes.windows(2).rposition(|w| w == [0xa1, 0x61]).unwrap();
        bytes.splice(pos..pos + 2, [0x07]);
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attribute("items")
                .then_index(1)
                .then_attribute("name")
        );
        assert_eq!(err.message, "expected a string, found a number");

        let err = decode(
            &hex("81 a3 666f6f 01"),
            &Type::object([("a", Type::Number)]),
        )
        .unwrap_err();
        assert_eq!(err.message, "object has no attribute \"foo\"");
        assert!(err.path.is_root());
        let err = decode(
            &hex("81 a161 81 01 02"),
            &Type::object([("a", Type::map(Type::Number))]),
        )
        .unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("a"));
        assert!(
            err.message.contains("keys must be strings"),
            "{}",
            err.message
        );
        let err = decode(&hex("92 a161 a162"), &Type::tuple(vec![Type::String])).unwrap_err();
        assert!(err.message.contains("tuple of 1"), "{}", err.message);
        assert!(decode(
            &hex("82 a161 01 a161 02"),
            &Type::object([("a", Type::Number)])
        )
        .is_err());
        assert!(decode(&hex("82 a161 01 a161 02"), &Type::map(Type::Number)).is_err());
        assert!(decode(&hex("81 a161 01"), &Type::list(Type::Number)).is_err());
        assert!(decode(&hex("91 01"), &Type::object([("a", Type::Number)])).is_err());
        assert!(decode(&hex("c1"), &Type::String).is_err());
        let err = decode(&hex("c3"), &Type::String).unwrap_err();
        assert_eq!(err.message, "expected a string, found a bool");
        // Encoding: tuple length and type mismatches.
        assert!(encode(&Value::Tuple(vec![]), &Type::tuple(vec![Type::String])).is_err());
        assert!(encode(&Value::from(1), &Type::String).is_err());
        assert!(encode(&Value::from("1"), &Type::Number).is_err());
        assert!(encode(&Value::from("x"), &Type::list(Type::String)).is_err());
        assert!(encode(&Value::List(vec![]), &Type::map(Type::String)).is_err());
    }

    #[test]
    fn trailing_and_truncated_input() {
        let ty = Type::object([
            ("input", Type::String),
            ("num", Type::Number),
            ("id", Type::String),
        ]);
        let full = hex("83 a2 69 64 c0 a5 69 6e 70 75 74 a3 61 62 63 a3 6e 75 6d 03");
        for cut in 0..full.len() {
            let err = decode(&full[..cut], &ty);
            assert!(err.is_err(), "prefix of {cut} bytes decoded");
        }
        let mut trailing = full.clone();
        trailing.push(0xc0);
        let err = decode(&trailing, &ty).unwrap_err();
        assert!(err.message.contains("trailing"), "{}", err.message);
        // Declared sizes far beyond the input are refused without allocating for them.
        for bytes in [
            "dd ffffffff",
            "df ffffffff",
            "db ffffffff 61",
            "c6 ffffffff",
            "c9 ffffffff 0c",
        ] {
            assert!(
                decode(&hex(bytes), &Type::list(Type::String)).is_err(),
                "{bytes}"
            );
            assert!(
                decode(&hex(bytes), &Type::map(Type::String)).is_err(),
                "{bytes}"
            );
            assert!(decode(&hex(bytes), &Type::String).is_err(), "{bytes}");
        }
    }

    #[test]
    fn depth_limit() {
        let mut ty = Type::String;
        let mut value = Value::from("x");
        for _ in 0..MAX_DEPTH {
            ty = Type::list(ty);
            value = Value::List(vec![value]);
        }
        round_trip(&value, &ty);
        let deeper_type = Type::list(ty);
        let deeper_value = Value::List(vec![value]);
        let err = encode(&deeper_value, &deeper_type).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
        let mut bytes = vec![0x91; MAX_DEPTH + 1];
        bytes.extend_from_slice(&hex("a1 78"));
        let err = decode(&bytes, &deeper_type).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
        // Dynamic wrappers nested in dynamic wrappers count too (type JSON "dynamic").
        let mut bytes = Vec::new();
        for _ in 0..200 {
            bytes.extend_from_slice(&hex("92 c4 09 2264796e616d696322"));
        }
        bytes.push(0xc0);
        let err = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
        // Deeply nested arrays inside an ignored refinement are skipped without recursion.
        let mut payload = hex("82 63");
        payload.extend(std::iter::repeat_n(0x91, 900));
        payload.push(0xc0);
        payload.extend_from_slice(&hex("01 c2"));
        let mut bytes = hex("c8");
        bytes.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        bytes.push(0x0c);
        bytes.extend_from_slice(&payload);
        assert!(decode(&bytes, &Type::String).is_ok());
    }

    #[test]
    fn size_limit() {
        use crate::plugin::codec::limits::MAX_VALUE_BYTES;
        // A str32 whose total encoding is one byte over the limit: refused before decoding.
        let body = MAX_VALUE_BYTES - 4;
        let mut bytes = vec![0xdb];
        bytes.extend_from_slice(&u32::try_from(body).unwrap().to_be_bytes());
        bytes.resize(MAX_VALUE_BYTES + 1, b'x');
        let err = decode(&bytes, &Type::String).unwrap_err();
        assert!(err.path.is_root());
        assert!(err.message.contains("bytes allowed"), "{}", err.message);
        // At the limit exactly it decodes.
        bytes.pop();
        bytes[1..5].copy_from_slice(&u32::try_from(body - 1).unwrap().to_be_bytes());
        let value = decode(&bytes, &Type::String).unwrap();
        assert_eq!(value.as_str().map(str::len), Some(body - 1));
    }

    #[test]
    fn item_limit() {
        use crate::plugin::codec::limits::MAX_VALUE_ITEMS;
        let list_of_nils = |count: usize| {
            let mut bytes = vec![0xdd];
            bytes.extend_from_slice(&u32::try_from(count).unwrap().to_be_bytes());
            bytes.resize(5 + count, 0xc0);
            bytes
        };
        // The list itself counts, so MAX_VALUE_ITEMS - 1 elements fit and one more does not.
        let ty = Type::list(Type::String);
        assert!(decode(&list_of_nils(MAX_VALUE_ITEMS - 1), &ty).is_ok());
        let err = decode(&list_of_nils(MAX_VALUE_ITEMS), &ty).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
        // Absent attributes filled in as null count too: a 1 KiB type of 100
        // attributes and 11,000 one-byte empty objects would make 1.1M values.
        let attributes: Vec<String> = (0..100).map(|i| format!("a{i}")).collect();
        let ty = Type::list(Type::object(
            attributes.iter().map(|name| (name.clone(), Type::Bool)),
        ));
        let mut bytes = vec![0xdd];
        bytes.extend_from_slice(&11_000u32.to_be_bytes());
        bytes.resize(5 + 11_000, 0x80);
        let err = decode(&bytes, &ty).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
        bytes.truncate(5 + 1_000);
        bytes[1..5].copy_from_slice(&1_000u32.to_be_bytes());
        assert!(decode(&bytes, &ty).is_ok());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let types = [
            Type::Dynamic,
            Type::String,
            Type::Number,
            Type::object([
                ("a", Type::list(Type::Dynamic)),
                ("b", Type::map(Type::Number)),
                ("c", Type::tuple(vec![Type::String, Type::set(Type::Bool)])),
            ]),
        ];
        // Purely random inputs, biased towards interesting markers.
        let markers = [
            0x92, 0xc4, 0xc7, 0xd4, 0x81, 0xa1, 0x0c, 0xdd, 0xdf, 0xc9, 0xcb, 0xc0,
        ];
        for _ in 0..30_000 {
            let len = usize::try_from(next() % 48).unwrap_or(0);
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 {
                        markers[usize::try_from(r % 12).unwrap_or(0)]
                    } else {
                        (r >> 8) as u8
                    }
                })
                .collect();
            for ty in &types {
                let _ = decode(&input, ty);
            }
        }
        // Mutations and truncations of valid encodings.
        let ty = Type::object([
            ("d", Type::Dynamic),
            ("l", Type::list(Type::object([("x", Type::Number)]))),
            ("u", Type::String),
        ]);
        let value = obj(vec![
            (
                "d",
                obj(vec![(
                    "k",
                    Value::List(vec![Value::from(1.5), Value::Null]),
                )]),
            ),
            (
                "l",
                Value::List(vec![obj(vec![(
                    "x",
                    Value::Number(Number::Big("1e400".into())),
                )])]),
            ),
            (
                "u",
                Value::Unknown(Refinements {
                    not_null: Some(true),
                    string_prefix: Some("pre-".into()),
                    ..Refinements::default()
                }),
            ),
        ]);
        let valid = encode(&value, &ty).unwrap();
        assert_eq!(decode(&valid, &ty).unwrap(), value);
        for cut in 0..valid.len() {
            assert!(decode(&valid[..cut], &ty).is_err());
        }
        for _ in 0..20_000 {
            let mut input = valid.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = usize::try_from(next()).unwrap_or(0) % input.len();
                input[at] = (next() >> 16) as u8;
            }
            let _ = decode(&input, &ty);
            let _ = decode(&input, &Type::Dynamic);
        }
    }
}
