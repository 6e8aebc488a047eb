//! msgpack decoding: the typed walk over a [`MsgpackReader`], with msgpack's
//! rules for scalars, `dynamic` values (`[type JSON, value]`) and unknown
//! values, whose refinements are read here too.

use std::borrow::Cow;

use crate::plugin::codec::error::{preview, CodecError};
use crate::plugin::codec::limits::check_input_size;
use crate::plugin::codec::msgpack::reader::{Head, MsgpackReader};
use crate::plugin::codec::msgpack::unknown::{
    KEY_LENGTH_MAX, KEY_LENGTH_MIN, KEY_NULLNESS, KEY_NUMBER_MAX, KEY_NUMBER_MIN,
    KEY_STRING_PREFIX, MAX_REFINEMENT_PAYLOAD, REFINED_UNKNOWN_EXT,
};
use crate::plugin::codec::trail::Trail;
use crate::plugin::codec::walk::{Reader, Shape, Walk};
use crate::plugin::cty::{Number, Refinements, Type, Value};

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

impl Reader for MsgpackReader<'_> {
    type Head = Head;

    const LAST_KEY_WINS: bool = false;

    fn head(&mut self) -> Result<Head, String> {
        self.read_head()
    }

    fn shape(head: Head) -> Shape {
        match head {
            Head::Nil => Shape::Null,
            Head::Ext(..) => Shape::Unknown,
            Head::Array(len) => Shape::Array(len),
            Head::Map(len) => Shape::Map(len),
            _ => Shape::Scalar,
        }
    }

    fn phrase(head: Head) -> Cow<'static, str> {
        match head {
            Head::Nil => "nil".into(),
            Head::Bool(_) => "a bool".into(),
            Head::Int(_) | Head::BigUint(_) | Head::F32(_) | Head::F64(_) => "a number".into(),
            Head::Str(_) => "a string".into(),
            Head::Bin(_) => "binary data".into(),
            Head::Array(_) => "an array".into(),
            Head::Map(_) => "a map".into(),
            Head::Ext(..) => "an extension value".into(),
            Head::Invalid(byte) => format!("the invalid msgpack marker 0x{byte:02x}").into(),
        }
    }

    fn key(&mut self) -> Result<String, String> {
        match self.read_head()? {
            Head::Str(len) | Head::Bin(len) => self.text(len),
            other => Err(format!(
                "map keys must be strings, found {}",
                Self::phrase(other)
            )),
        }
    }

    fn string(&mut self, head: Head) -> Result<Option<String>, String> {
        match head {
            Head::Str(len) | Head::Bin(len) => self.text(len).map(Some),
            _ => Ok(None),
        }
    }

    fn number(&mut self, head: Head) -> Result<Option<Number>, String> {
        match head {
            Head::Int(i) => Ok(Some(Number::Int(i))),
            Head::BigUint(u) => Ok(Some(Number::Big(u.to_string()))),
            Head::F32(f) => float(f64::from(f)).map(Some),
            Head::F64(f) => float(f).map(Some),
            Head::Str(len) | Head::Bin(len) => {
                let text = self.text(len)?;
                Number::parse(&text)
                    .map(Some)
                    .ok_or_else(|| format!("{} is not a valid decimal number", preview(&text)))
            }
            _ => Ok(None),
        }
    }

    fn bool(head: Head) -> Option<bool> {
        match head {
            Head::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn check_count(&self, count: usize, min_bytes: usize) -> Result<(), String> {
        self.check_room(count, min_bytes)
    }

    /// A `dynamic` value is `[type JSON, value]`, the type JSON as bin or str.
    fn dynamic(&mut self, head: Head) -> Result<Type, String> {
        match head {
            Head::Array(2) => {}
            Head::Array(n) => {
                return Err(format!(
                    "a dynamically-typed value must be a 2-element array [type, value], found an array of {n}"
                ))
            }
            other => {
                return Err(format!(
                    "expected a dynamically-typed value (a 2-element array [type, value]), found {}",
                    Self::phrase(other)
                ))
            }
        }
        let type_json = match self.read_head()? {
            Head::Bin(len) | Head::Str(len) => self.take(len)?,
            other => {
                return Err(format!(
                    "the type of a dynamically-typed value must be JSON bytes, found {}",
                    Self::phrase(other)
                ));
            }
        };
        Type::from_json(type_json)
            .map_err(|e| format!("invalid type in a dynamically-typed value: {}", e.message))
    }

    fn unknown(
        walk: &mut Walk<Self>,
        head: Head,
        ty: &Type,
        depth: usize,
    ) -> Result<Value, CodecError> {
        match head {
            Head::Ext(code, len) => unknown(walk, code, len, ty, depth),
            other => Err(walk.mismatch(ty, other)),
        }
    }
}

/// A float as a number; NaN is refused, as cty has no NaN.
fn float(f: f64) -> Result<Number, String> {
    if f.is_nan() {
        Err("NaN is not a valid number".to_string())
    } else {
        Ok(Number::Float(f))
    }
}

/// Decodes the extension value of type `code` with a `len`-byte payload as
/// an unknown of type `ty`: any payload of at most one byte is a plain
/// unknown, a longer one must be type 12 with refinements for `ty`.
fn unknown(
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

/// Reads the refinement map of an unknown of type `ty`, refusing
/// refinements that cannot apply to it and skipping keys it does not know.
fn refinements(
    walk: &mut Walk<MsgpackReader<'_>>,
    ty: &Type,
    depth: usize,
) -> Result<Refinements, CodecError> {
    let bad = |walk: &Walk<_>, what: &str| {
        walk.trail
            .error(format!("invalid refinements of an unknown value: {what}"))
    };
    let count = match walk.read(MsgpackReader::read_head)? {
        Head::Map(n) => n,
        _ => return Err(bad(walk, "not a map")),
    };
    let mut out = Refinements::default();
    if *ty == Type::Dynamic {
        // cty ignores refinements of dynamically-typed unknowns.
        return Ok(out);
    }
    walk.read(|reader| reader.check_room(count, 2))?;
    for _ in 0..count {
        let key = match walk.read(MsgpackReader::read_head)? {
            Head::Int(k) => k,
            Head::BigUint(_) => i64::MAX,
            _ => return Err(bad(walk, "a key is not an integer")),
        };
        match key {
            KEY_NULLNESS => match walk.read(MsgpackReader::read_head)? {
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
                match walk.read(MsgpackReader::read_head)? {
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
                let bound = match walk.read(MsgpackReader::read_head)? {
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
