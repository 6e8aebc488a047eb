//! The value model: what a Terraform value (a cty value) looks like once
//! decoded, independent of its wire encoding, so providers can read
//! configuration and build state without knowing about msgpack or JSON.

use std::collections::BTreeMap;
use std::fmt;

use crate::plugin::types::Type;

/// A cty number.
///
/// cty numbers are arbitrary-precision decimals; this keeps the common cases
/// cheap (`Int`, `Float`) and carries anything else exactly as decimal text.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// A whole number that fits in an `i64`.
    Int(i64),
    /// A binary floating-point number (may be ±infinity; never NaN when decoded).
    Float(f64),
    /// An exact decimal, as text (`"18446744073709551616"`, `"0.1"`, `"1e400"`),
    /// for numbers that fit neither of the others, as cty writes them.
    Big(String),
}

impl Number {
    /// Parses decimal text (`"-12"`, `"0.5"`, `"1e3"`, `"+.5E-2"`): `Int` when
    /// the value is whole and fits an `i64`, else `Big` holding the text as given.
    /// `None` when the text is not a decimal number. Exists because cty sends
    /// large or precise numbers as strings.
    pub fn parse(text: &str) -> Option<Number> {
        let decimal = Decimal::parse(text)?;
        Some(match decimal.to_i64() {
            Some(i) => Number::Int(i),
            None => Number::Big(text.to_string()),
        })
    }

    /// The number as an `i64` when it is whole and in range, whatever its representation.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) => float_to_i64(*f),
            Number::Big(text) => Decimal::parse(text)?.to_i64(),
        }
    }

    /// The number as the nearest `f64` (possibly infinite); `None` only for an
    /// invalid `Big` text. Lossy for numbers beyond f64 precision.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            // Precision loss is the documented intent of this conversion.
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Big(text) => Decimal::parse(text)?.to_f64(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Big(text) => f.write_str(text),
        }
    }
}

/// The `i64` equal to `f`, when `f` is whole and in range.
pub(crate) fn float_to_i64(f: f64) -> Option<i64> {
    // -2^63 is exactly representable; 2^63 is the first value out of range.
    const LOW: f64 = -9_223_372_036_854_775_808.0;
    const HIGH: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && (LOW..HIGH).contains(&f) {
        // In range and whole, so the conversion is exact.
        Some(f as i64)
    } else {
        None
    }
}

/// A decimal number split into sign, significant digits and exponent, so the
/// codecs can validate number text and decide exactly which wire form fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    /// True for a negative number (never for zero).
    pub negative: bool,
    /// Significant ASCII digits without leading or trailing zeros; empty for zero.
    pub digits: String,
    /// The value is `digits × 10^exponent`.
    pub exponent: i64,
}

impl Decimal {
    /// Parses `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut negative = false;
        match bytes.first() {
            Some(b'-') => {
                negative = true;
                pos = 1;
            }
            Some(b'+') => pos = 1,
            _ => {}
        }
        let int_start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let int_digits = text.get(int_start..pos)?;
        let mut frac_digits = "";
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let frac_start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            frac_digits = text.get(frac_start..pos)?;
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            let mut exp_negative = false;
            match bytes.get(pos) {
                Some(b'-') => {
                    exp_negative = true;
                    pos += 1;
                }
                Some(b'+') => pos += 1,
                _ => {}
            }
            let exp_start = pos;
            while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
                // Exponents beyond ±10^15 cannot come from any sane encoder.
                exponent = exponent.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
                if exponent > 1_000_000_000_000_000 {
                    return None;
                }
                pos += 1;
            }
            if pos == exp_start {
                return None;
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        if pos != bytes.len() {
            return None;
        }
        let frac_len = i64::try_from(frac_digits.len()).ok()?;
        let mut digits = String::with_capacity(int_digits.len() + frac_digits.len());
        digits.push_str(int_digits);
        digits.push_str(frac_digits);
        let digits = digits.trim_start_matches('0');
        let trimmed = digits.trim_end_matches('0');
        let trailing = i64::try_from(digits.len() - trimmed.len()).ok()?;
        let exponent = exponent.checked_sub(frac_len)?.checked_add(trailing)?;
        if trimmed.is_empty() {
            return Some(Decimal {
                negative: false,
                digits: String::new(),
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits: trimmed.to_string(),
            exponent,
        })
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// True when the value is a whole number.
    pub fn is_integer(&self) -> bool {
        self.is_zero() || self.exponent >= 0
    }

    /// The value as an `i64`, when whole and in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.exponent < 0 {
            return None;
        }
        let exponent = usize::try_from(self.exponent).ok()?;
        if self.digits.len().checked_add(exponent)? > 19 {
            return None;
        }
        let mut value: i128 = 0;
        for d in self.digits.bytes() {
            value = value * 10 + i128::from(d - b'0');
        }
        for _ in 0..exponent {
            value *= 10;
        }
        if self.negative {
            value = -value;
        }
        i64::try_from(value).ok()
    }

    /// The nearest `f64` (infinite when out of range).
    pub fn to_f64(&self) -> Option<f64> {
        let sign = if self.negative { "-" } else { "" };
        let digits = if self.is_zero() { "0" } else { &self.digits };
        format!("{sign}{digits}e{}", self.exponent).parse().ok()
    }

    /// The `f64` exactly equal to this value, if there is one (cty writes such
    /// numbers as float64 rather than as text).
    pub fn to_exact_f64(&self) -> Option<f64> {
        let f = self.to_f64()?;
        if !f.is_finite() {
            return None;
        }
        // 800 fractional digits exceed the longest exact expansion of an f64
        // (767 significant digits), so this prints the exact binary value.
        let exact = Decimal::parse(&format!("{f:.800e}"))?;
        let same = exact.digits == self.digits
            && (self.is_zero()
                || (exact.exponent == self.exponent && exact.negative == self.negative));
        same.then_some(f)
    }
}

/// What is known about an unknown value (cty "refinements"): Terraform sends
/// them during validation and planning, e.g. the known prefix of a string
/// template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// `Some(true)`: the value will definitely not be null; `Some(false)`: it
    /// definitely will be (unusual); `None`: not known.
    pub not_null: Option<bool>,
    /// A prefix the final string will have (strings only).
    pub string_prefix: Option<String>,
    /// Lower bound of the final number and whether it is inclusive (numbers only).
    pub number_lower: Option<(Number, bool)>,
    /// Upper bound of the final number and whether it is inclusive (numbers only).
    pub number_upper: Option<(Number, bool)>,
    /// Inclusive lower bound of the final collection length (list, set, map only).
    pub length_lower: Option<u64>,
    /// Inclusive upper bound of the final collection length (list, set, map only).
    pub length_upper: Option<u64>,
}

impl Refinements {
    /// True when nothing is refined, so the value encodes as a plain unknown.
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A decoded Terraform value.
///
/// The value does not carry its type: the schema (a [`Type`]) supplies it when
/// encoding, and values in `dynamic` positions use [`Value::implied_type`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A null of any type.
    Null,
    /// A value not known until apply time, with what is known about it.
    Unknown(Refinements),
    /// A bool.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list's elements, in order.
    List(Vec<Value>),
    /// A set's elements (order is not meaningful).
    Set(Vec<Value>),
    /// A map's entries.
    Map(BTreeMap<String, Value>),
    /// An object's attributes.
    Object(BTreeMap<String, Value>),
    /// A tuple's elements, in order.
    Tuple(Vec<Value>),
}

impl Value {
    /// A wholly unknown value with no refinements.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    /// True for a null value.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True unless the value itself is unknown (its elements may still be).
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Unknown(_))
    }

    /// True when neither the value nor anything inside it is unknown;
    /// Terraform requires this of data source state.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
        }
    }

    /// The string, for a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, for a bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, for a number value.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64`, for a number value that is whole and in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    /// An attribute of an object value (`None` for other values or a missing attribute).
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attributes) => attributes.get(name),
            _ => None,
        }
    }

    /// A best-effort type for the value, used to encode it in a `dynamic`
    /// position: null and unknown give `dynamic`; a list, set or map takes its
    /// element type from its first element with a non-dynamic implied type
    /// (`dynamic` when there is none); objects and tuples are typed element-wise.
    pub fn implied_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown(_) => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => Type::list(element_type(items.iter())),
            Value::Set(items) => Type::set(element_type(items.iter())),
            Value::Map(entries) => Type::map(element_type(entries.values())),
            Value::Object(attributes) => Type::Object(
                attributes
                    .iter()
                    .map(|(name, value)| (name.clone(), value.implied_type()))
                    .collect(),
            ),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::implied_type).collect()),
        }
    }

    /// What kind of value this is, with an article ("a string", "null"), for
    /// "expected …, found …" messages.
    pub(crate) fn kind_phrase(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "an unknown value",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Set(_) => "a set",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
            Value::Tuple(_) => "a tuple",
        }
    }
}

fn element_type<'a>(mut items: impl Iterator<Item = &'a Value>) -> Type {
    items
        .find_map(|item| match item.implied_type() {
            Type::Dynamic => None,
            ty => Some(ty),
        })
        .unwrap_or(Type::Dynamic)
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Number(Number::Float(f))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_parse() {
        assert_eq!(Number::parse("0"), Some(Number::Int(0)));
        assert_eq!(Number::parse("-0"), Some(Number::Int(0)));
        assert_eq!(Number::parse("42"), Some(Number::Int(42)));
        assert_eq!(Number::parse("+42"), Some(Number::Int(42)));
        assert_eq!(Number::parse("-42.000"), Some(Number::Int(-42)));
        assert_eq!(Number::parse("4.2e1"), Some(Number::Int(42)));
        assert_eq!(Number::parse("4200E-2"), Some(Number::Int(42)));
        assert_eq!(
            Number::parse("9223372036854775807"),
            Some(Number::Int(i64::MAX))
        );
        assert_eq!(
            Number::parse("-9223372036854775808"),
            Some(Number::Int(i64::MIN))
        );
        assert_eq!(
            Number::parse("9223372036854775808"),
            Some(Number::Big("9223372036854775808".into()))
        );
        assert_eq!(Number::parse("0.5"), Some(Number::Big("0.5".into())));
        assert_eq!(Number::parse(".5"), Some(Number::Big(".5".into())));
        assert_eq!(Number::parse("5."), Some(Number::Int(5)));
        assert_eq!(Number::parse("1e400"), Some(Number::Big("1e400".into())));
        for bad in [
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "0x10",
            "inf",
            "NaN",
            " 1",
            "1 ",
            "1_000",
            "--1",
            "1e99999999999999999999",
        ] {
            assert_eq!(Number::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn number_conversions() {
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(Number::Float(3.5).as_i64(), None);
        assert_eq!(Number::Float(f64::INFINITY).as_i64(), None);
        assert_eq!(Number::Float(1e19).as_i64(), None);
        assert_eq!(Number::Float(-(2f64.powi(63))).as_i64(), Some(i64::MIN));
        assert_eq!(Number::Big("12e1".into()).as_i64(), Some(120));
        assert_eq!(Number::Big("1e30".into()).as_i64(), None);
        assert_eq!(Number::Big("garbage".into()).as_i64(), None);
        assert_eq!(Number::Big("0.25".into()).as_f64(), Some(0.25));
        assert_eq!(Number::Big("1e400".into()).as_f64(), Some(f64::INFINITY));
        assert_eq!(Number::Int(-7).as_f64(), Some(-7.0));
        assert_eq!(Number::Big("123".into()).to_string(), "123");
    }

    #[test]
    fn exact_float_detection() {
        let exact = |s: &str| Decimal::parse(s).and_then(|d| d.to_exact_f64());
        assert_eq!(exact("0.5"), Some(0.5));
        assert_eq!(exact("-0.125"), Some(-0.125));
        assert_eq!(
            exact("18446744073709551616"),
            Some(18_446_744_073_709_551_616.0)
        );
        assert_eq!(exact("0.1"), None);
        assert_eq!(exact("1e400"), None);
        assert_eq!(exact("18446744073709551617"), None);
        // The smallest subnormal, written out exactly.
        let tiny = format!("{:.1100e}", f64::from_bits(1));
        assert_eq!(exact(&tiny), Some(f64::from_bits(1)));
    }

    #[test]
    fn value_helpers() {
        let object = Value::Object(BTreeMap::from([
            ("a".to_string(), Value::from("x")),
            (
                "b".to_string(),
                Value::List(vec![Value::from(1), Value::unknown()]),
            ),
        ]));
        assert_eq!(object.attribute("a").and_then(Value::as_str), Some("x"));
        assert_eq!(object.attribute("zzz"), None);
        assert_eq!(Value::from("x").attribute("a"), None);
        assert!(object.is_known());
        assert!(!object.is_wholly_known());
        assert!(!Value::unknown().is_known());
        assert!(Value::Null.is_null());
        assert!(Value::Null.is_wholly_known());
        assert_eq!(Value::from(true).as_bool(), Some(true));
        assert_eq!(Value::from(7).as_i64(), Some(7));
        assert_eq!(Value::from(7.0).as_i64(), Some(7));
        assert_eq!(Value::from(String::from("s")).as_str(), Some("s"));
        assert_eq!(Value::from("s").as_i64(), None);
        assert!(Refinements::default().is_empty());
    }

    #[test]
    fn implied_types() {
        assert_eq!(Value::Null.implied_type(), Type::Dynamic);
        assert_eq!(Value::unknown().implied_type(), Type::Dynamic);
        assert_eq!(
            Value::List(vec![]).implied_type(),
            Type::list(Type::Dynamic)
        );
        assert_eq!(
            Value::List(vec![Value::Null, Value::from("a")]).implied_type(),
            Type::list(Type::String)
        );
        assert_eq!(
            Value::Set(vec![Value::from(1)]).implied_type(),
            Type::set(Type::Number)
        );
        assert_eq!(
            Value::Map(BTreeMap::from([("k".to_string(), Value::from(true))])).implied_type(),
            Type::map(Type::Bool)
        );
        assert_eq!(
            Value::Object(BTreeMap::from([
                ("a".to_string(), Value::from("x")),
                ("n".to_string(), Value::Null)
            ]))
            .implied_type(),
            Type::object([("a", Type::String), ("n", Type::Dynamic)])
        );
        assert_eq!(
            Value::Tuple(vec![Value::from("x"), Value::from(1)]).implied_type(),
            Type::tuple(vec![Type::String, Type::Number])
        );
    }
}
