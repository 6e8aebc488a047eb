//! cty numbers: arbitrary-precision decimals, kept cheap for the common
//! cases, and the decimal arithmetic the codecs need to choose a number's
//! wire form exactly.

use std::fmt;

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
    pub(crate) negative: bool,
    /// Significant ASCII digits without leading or trailing zeros; empty for zero.
    pub(crate) digits: String,
    /// The value is `digits × 10^exponent`.
    pub(crate) exponent: i64,
}

impl Decimal {
    /// Parses `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
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
    pub(crate) fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// True when the value is a whole number.
    pub(crate) fn is_integer(&self) -> bool {
        self.is_zero() || self.exponent >= 0
    }

    /// The value as an `i64`, when whole and in range.
    pub(crate) fn to_i64(&self) -> Option<i64> {
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
    pub(crate) fn to_f64(&self) -> Option<f64> {
        let sign = if self.negative { "-" } else { "" };
        let digits = if self.is_zero() { "0" } else { &self.digits };
        format!("{sign}{digits}e{}", self.exponent).parse().ok()
    }

    /// The `f64` exactly equal to this value, if there is one (cty writes such
    /// numbers as float64 rather than as text).
    pub(crate) fn to_exact_f64(&self) -> Option<f64> {
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
}
