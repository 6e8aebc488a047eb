//! msgpack input read item by item: headers straight from the slice (the
//! marker bytes classified by the `rmp` crate), bodies taken only when the
//! bytes are there, so that no declared length is trusted beyond the input.

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

    /// Reads one item header. The marker byte is classified by the msgpack
    /// crate; lengths and fixed-size data are read here, bounded by the input.
    pub(super) fn read_head(&mut self) -> Result<Head, String> {
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

    /// Checks that `count` items of at least `min_bytes` each fit in the
    /// bytes left, so a declared count never drives allocation or looping.
    pub(super) fn check_room(&self, count: usize, min_bytes: usize) -> Result<(), String> {
        match count.checked_mul(min_bytes) {
            Some(needed) if needed <= self.remaining() => Ok(()),
            _ => Err(truncated()),
        }
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
            match self.read_head()? {
                Head::Str(len) | Head::Bin(len) | Head::Ext(_, len) => {
                    self.take(len)?;
                }
                Head::Array(n) => {
                    self.check_room(n, 1)?;
                    pending = pending.saturating_add(n);
                }
                Head::Map(n) => {
                    self.check_room(n, 2)?;
                    pending = pending.saturating_add(n.saturating_mul(2));
                }
                Head::Invalid(byte) => return Err(format!("invalid msgpack marker 0x{byte:02x}")),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The error for input that ends before what it declares.
fn truncated() -> String {
    "unexpected end of msgpack input".to_string()
}
