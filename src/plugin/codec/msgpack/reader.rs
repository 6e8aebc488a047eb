//! msgpack as the typed walk reads it: item headers straight from the input
//! slice, so that no declared length is trusted beyond the bytes left.

use std::borrow::Cow;

use crate::plugin::codec::error::{preview, CodecError};
use crate::plugin::codec::msgpack::unknown;
use crate::plugin::codec::walk::{Reader, Shape, Walk};
use crate::plugin::cty::{Number, Type, Value};

/// One msgpack item header: the marker byte and whatever fixed-size data
/// follows it; variable-size bodies (strings, arrays, …) are read separately.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Head {
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

/// The input and how far it has been read.
pub(super) struct MsgpackReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> MsgpackReader<'a> {
    /// A reader at the start of `buf`.
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// How many bytes are left.
    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(truncated)?;
        let slice = self.buf.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len8(&mut self) -> Result<usize, String> {
        Ok(usize::from(self.u8()?))
    }

    fn len16(&mut self) -> Result<usize, String> {
        Ok(usize::from(self.u16()?))
    }

    fn len32(&mut self) -> Result<usize, String> {
        let n = self.u32()?;
        usize::try_from(n).map_err(|_| "msgpack length does not fit in memory".to_string())
    }

    fn ext(&mut self, len: usize) -> Result<Head, String> {
        let code = i8::from_be_bytes(self.array()?);
        Ok(Head::Ext(code, len))
    }

    /// The body of a string or binary item of `len` bytes, as UTF-8 text.
    pub(super) fn text(&mut self, len: usize) -> Result<String, String> {
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => Err("string is not valid UTF-8".to_string()),
        }
    }

    /// Skips one item of any shape without recursion.
    pub(super) fn skip(&mut self) -> Result<(), String> {
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
                Head::Invalid(byte) => return Err(format!("invalid msgpack marker 0x{byte:02x}")),
                _ => {}
            }
        }
        Ok(())
    }

    fn float(f: f64) -> Result<Number, String> {
        if f.is_nan() {
            Err("NaN is not a valid number".to_string())
        } else {
            Ok(Number::Float(f))
        }
    }
}

fn truncated() -> String {
    "unexpected end of msgpack input".to_string()
}

impl Reader for MsgpackReader<'_> {
    type Head = Head;

    const LAST_KEY_WINS: bool = false;

    /// Reads one item header. The marker byte is classified by the msgpack
    /// crate; lengths and fixed-size data are read here, bounded by the input.
    fn head(&mut self) -> Result<Head, String> {
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
        match self.head()? {
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
            Head::F32(f) => Self::float(f64::from(f)).map(Some),
            Head::F64(f) => Self::float(f).map(Some),
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
        match count.checked_mul(min_bytes) {
            Some(needed) if needed <= self.remaining() => Ok(()),
            _ => Err(truncated()),
        }
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
        let type_json = match self.head()? {
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
            Head::Ext(code, len) => unknown::decode(walk, code, len, ty, depth),
            other => Err(walk.mismatch(ty, other)),
        }
    }
}
