//! Decoding of `DynamicValue.json`: the JSON alternative to msgpack that
//! Terraform may use for a `DynamicValue` (and, in state upgrades, raw state).
//!
//! Includes a small strict JSON parser that keeps numbers as text, because
//! cty numbers are arbitrary-precision and `serde_json` (without its
//! `arbitrary_precision` feature) would round them; the same parser reads cty
//! type JSON.

use std::collections::BTreeMap;

use crate::plugin::path::{AttributePath, PathStep};
use crate::plugin::types::{check_input_size, CodecError, ItemBudget, Type, MAX_DEPTH};
use crate::plugin::value::{Decimal, Number, Value};

/// How deeply raw JSON may nest. Larger than [`MAX_DEPTH`] because one level of
/// a type or value can take two JSON levels (an object type is an array
/// holding an object; a dynamic value is an object holding the value); the
/// type- and value-level limits are enforced separately.
const JSON_MAX_DEPTH: usize = 4 * MAX_DEPTH + 8;

/// A parsed JSON document with numbers kept as their literal text and object
/// members in document order (duplicates kept, so callers can reject them).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Parses one JSON document (surrounding whitespace allowed, nothing else).
///
/// Documents longer than [`MAX_VALUE_BYTES`](crate::plugin::types::MAX_VALUE_BYTES)
/// or with more than [`MAX_VALUE_ITEMS`](crate::plugin::types::MAX_VALUE_ITEMS)
/// nodes are refused, bounding the memory the parsed tree can take.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Json, CodecError> {
    check_input_size(bytes.len())?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CodecError::root(format!(
            "invalid JSON: not valid UTF-8 at byte {}",
            e.valid_up_to()
        ))
    })?;
    let mut parser = Parser {
        text,
        pos: 0,
        budget: ItemBudget::default(),
    };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos != text.len() {
        return Err(parser.error("unexpected data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    budget: ItemBudget,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> CodecError {
        CodecError::root(format!("invalid JSON at byte {}: {message}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &str, value: Json) -> Result<Json, CodecError> {
        if self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(literal))
        {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, CodecError> {
        if let Err(message) = self.budget.spend(1) {
            return Err(self.error(&message));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_literal("null", Json::Null),
            Some(b't') => self.expect_literal("true", Json::Bool(true)),
            Some(b'f') => self.expect_literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                if depth >= JSON_MAX_DEPTH {
                    return Err(self.error("nested too deeply"));
                }
                self.array(depth + 1)
            }
            Some(b'{') => {
                if depth >= JSON_MAX_DEPTH {
                    return Err(self.error("nested too deeply"));
                }
                self.object(depth + 1)
            }
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, CodecError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, CodecError> {
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string object key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in object")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, CodecError> {
        let digits = self
            .text
            .get(self.pos..self.pos.saturating_add(4))
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("invalid \\u escape"));
        }
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain characters up to the next quote, backslash or control character.
            let rest = self.text.get(self.pos..).unwrap_or("");
            let run = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            out.push_str(rest.get(..run).unwrap_or(""));
            self.pos += run;
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first)
                                && self
                                    .text
                                    .get(self.pos..)
                                    .is_some_and(|r| r.starts_with("\\u"))
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                } else {
                                    // Not a low surrogate: leave it to be read as its own escape.
                                    self.pos = save;
                                    first
                                }
                            } else {
                                first
                            };
                            // Lone surrogates become U+FFFD, as Go's decoder does.
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, CodecError> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let digits = |pos: &mut usize| {
            let begin = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos - begin
        };
        let mut pos = self.pos;
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        match bytes.get(pos) {
            Some(b'0') => pos += 1,
            Some(b'1'..=b'9') => {
                digits(&mut pos);
            }
            _ => {
                self.pos = pos;
                return Err(self.error("invalid number"));
            }
        }
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            if digits(&mut pos) == 0 {
                self.pos = pos;
                return Err(self.error("invalid number: no digits after '.'"));
            }
        }
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            if matches!(bytes.get(pos), Some(b'+' | b'-')) {
                pos += 1;
            }
            if digits(&mut pos) == 0 {
                self.pos = pos;
                return Err(self.error("invalid number: no digits in exponent"));
            }
        }
        self.pos = pos;
        let text = self.text.get(start..pos).unwrap_or("");
        Ok(Json::Number(text.to_string()))
    }
}

/// Decodes a `DynamicValue.json` document against `ty`, following cty's JSON
/// rules: `null` is null of any type; a `dynamic` value is
/// `{"value": …, "type": <type JSON>}`; missing object attributes become null
/// and unexpected ones are errors; whole numbers become `Int` (or `Big` when
/// out of range), others `Float` (or `Big` when they overflow or underflow an
/// f64). Like cty, strings are accepted for numbers and bools
/// (`"12"`, `"true"`), and numbers and bools for strings. The same size,
/// item-count and depth limits apply as to msgpack.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let tree = parse_json(bytes)?;
    let mut decoder = Decoder {
        steps: Vec::new(),
        budget: ItemBudget::default(),
    };
    decoder.value(&tree, ty, 0)
}

struct Decoder {
    steps: Vec<PathStep>,
    budget: ItemBudget,
}

fn json_kind(tree: &Json) -> &'static str {
    match tree {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Converts JSON number text (already validated by the grammar) or a string
/// holding a number into a [`Number`].
fn json_number(text: &str) -> Option<Number> {
    let decimal = Decimal::parse(text)?;
    if let Some(i) = decimal.to_i64() {
        return Some(Number::Int(i));
    }
    if decimal.is_integer() {
        return Some(Number::Big(text.to_string()));
    }
    match decimal.to_f64() {
        Some(f) if f.is_finite() && f != 0.0 => Some(Number::Float(f)),
        _ => Some(Number::Big(text.to_string())),
    }
}

impl Decoder {
    fn error(&self, message: impl Into<String>) -> CodecError {
        CodecError::new(
            AttributePath {
                steps: self.steps.clone(),
            },
            message,
        )
    }

    fn mismatch(&self, ty: &Type, found: &Json) -> CodecError {
        self.error(format!(
            "expected {}, found {}",
            ty.expected_phrase(),
            json_kind(found)
        ))
    }

    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("value is nested more than {MAX_DEPTH} levels deep")))
        } else {
            Ok(depth + 1)
        }
    }

    fn spend(&mut self, items: usize) -> Result<(), CodecError> {
        self.budget
            .spend(items)
            .map_err(|message| self.error(message))
    }

    fn value(&mut self, tree: &Json, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        self.spend(1)?;
        if let Json::Null = tree {
            return Ok(Value::Null);
        }
        match ty {
            Type::Dynamic => self.dynamic(tree, depth),
            Type::String => match tree {
                Json::String(s) => Ok(Value::String(s.clone())),
                Json::Number(text) => Ok(Value::String(text.clone())),
                Json::Bool(b) => Ok(Value::String(b.to_string())),
                other => Err(self.mismatch(ty, other)),
            },
            Type::Number => match tree {
                Json::Number(text) | Json::String(text) => json_number(text)
                    .map(Value::Number)
                    .ok_or_else(|| self.error(format!("{} is not a valid number", preview(text)))),
                other => Err(self.mismatch(ty, other)),
            },
            Type::Bool => match tree {
                Json::Bool(b) => Ok(Value::Bool(*b)),
                Json::String(s) if s == "true" => Ok(Value::Bool(true)),
                Json::String(s) if s == "false" => Ok(Value::Bool(false)),
                other => Err(self.mismatch(ty, other)),
            },
            Type::List(element) | Type::Set(element) => {
                let Json::Array(items) = tree else {
                    return Err(self.mismatch(ty, tree));
                };
                let depth = self.enter(depth)?;
                let values = self.sequence(items.iter().map(|item| (item, &**element)), depth)?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(values)
                } else {
                    Value::List(values)
                })
            }
            Type::Tuple(elements) => {
                let Json::Array(items) = tree else {
                    return Err(self.mismatch(ty, tree));
                };
                if items.len() != elements.len() {
                    return Err(self.error(format!(
                        "expected a tuple of {} elements, found {}",
                        elements.len(),
                        items.len()
                    )));
                }
                let depth = self.enter(depth)?;
                Ok(Value::Tuple(
                    self.sequence(items.iter().zip(elements), depth)?,
                ))
            }
            Type::Map(element) => {
                let Json::Object(members) = tree else {
                    return Err(self.mismatch(ty, tree));
                };
                let depth = self.enter(depth)?;
                let mut out = BTreeMap::new();
                for (key, item) in members {
                    if out.contains_key(key) {
                        return Err(self.error(format!("duplicate map key {key:?}")));
                    }
                    self.steps.push(PathStep::Key(key.clone()));
                    let value = self.value(item, element, depth)?;
                    self.steps.pop();
                    out.insert(key.clone(), value);
                }
                Ok(Value::Map(out))
            }
            Type::Object(attributes) => {
                let Json::Object(members) = tree else {
                    return Err(self.mismatch(ty, tree));
                };
                let depth = self.enter(depth)?;
                let mut out = BTreeMap::new();
                for (name, item) in members {
                    let Some(attribute_type) = attributes.get(name) else {
                        return Err(self.error(format!("object has no attribute {name:?}")));
                    };
                    if out.contains_key(name) {
                        return Err(self.error(format!("duplicate attribute {name:?}")));
                    }
                    self.steps.push(PathStep::Attribute(name.clone()));
                    let value = self.value(item, attribute_type, depth)?;
                    self.steps.pop();
                    out.insert(name.clone(), value);
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

    fn sequence<'t>(
        &mut self,
        items: impl Iterator<Item = (&'t Json, &'t Type)>,
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        let mut out = Vec::new();
        for (index, (item, ty)) in items.enumerate() {
            self.steps
                .push(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)));
            out.push(self.value(item, ty, depth)?);
            self.steps.pop();
        }
        Ok(out)
    }

    fn dynamic(&mut self, tree: &Json, depth: usize) -> Result<Value, CodecError> {
        let Json::Object(members) = tree else {
            return Err(self.error(format!(
                "expected a dynamically-typed value ({{\"value\": …, \"type\": …}}), found {}",
                json_kind(tree)
            )));
        };
        let mut value = None;
        let mut ty = None;
        for (key, member) in members {
            let slot = match key.as_str() {
                "value" => &mut value,
                "type" => &mut ty,
                other => {
                    return Err(self.error(format!(
                        "invalid key {other:?} in a dynamically-typed value; expected \"value\" and \"type\""
                    )))
                }
            };
            if slot.replace(member).is_some() {
                return Err(self.error(format!(
                    "duplicate key {key:?} in a dynamically-typed value"
                )));
            }
        }
        let Some(ty) = ty else {
            return Err(self.error("missing \"type\" in a dynamically-typed value"));
        };
        let Some(value) = value else {
            return Err(self.error("missing \"value\" in a dynamically-typed value"));
        };
        let path = AttributePath {
            steps: self.steps.clone(),
        };
        let ty = Type::from_json_tree(ty).map_err(|e| e.within(&path))?;
        let depth = self.enter(depth)?;
        self.value(value, &ty, depth)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(entries: Vec<(&str, Value)>) -> Value {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    #[test]
    fn primitives() {
        assert_eq!(
            decode(b"\"h\\u00e9llo \xe2\x9c\x93\"", &Type::String),
            Ok(Value::from("héllo ✓"))
        );
        assert_eq!(
            decode(b"\"\\ud83d\\ude00\"", &Type::String),
            Ok(Value::from("😀"))
        );
        assert_eq!(
            decode(b"\"\\ud83d\"", &Type::String),
            Ok(Value::from("\u{FFFD}"))
        );
        assert_eq!(
            decode(br#""\"\\\/\b\f\n\r\t""#, &Type::String),
            Ok(Value::from("\"\\/\u{8}\u{c}\n\r\t"))
        );
        assert_eq!(decode(b"true", &Type::Bool), Ok(Value::from(true)));
        assert_eq!(decode(b"\"false\"", &Type::Bool), Ok(Value::from(false)));
        assert_eq!(decode(b"12", &Type::String), Ok(Value::from("12")));
        assert_eq!(decode(b"true", &Type::String), Ok(Value::from("true")));
        assert_eq!(decode(b" null ", &Type::String), Ok(Value::Null));
        assert_eq!(decode(b"null", &Type::Dynamic), Ok(Value::Null));
    }

    #[test]
    fn numbers() {
        let n = |json: &str| decode(json.as_bytes(), &Type::Number);
        assert_eq!(n("0"), Ok(Value::from(0)));
        assert_eq!(n("-17"), Ok(Value::from(-17)));
        assert_eq!(n("9223372036854775807"), Ok(Value::from(i64::MAX)));
        assert_eq!(
            n("18446744073709551616"),
            Ok(Value::Number(Number::Big("18446744073709551616".into())))
        );
        assert_eq!(
            n("123456789012345678901234567890"),
            Ok(Value::Number(Number::Big(
                "123456789012345678901234567890".into()
            )))
        );
        assert_eq!(n("1.5"), Ok(Value::from(1.5)));
        assert_eq!(n("-2.5e-3"), Ok(Value::from(-0.0025)));
        assert_eq!(n("1e3"), Ok(Value::from(1000)));
        assert_eq!(n("2.0"), Ok(Value::from(2)));
        assert_eq!(n("1e400"), Ok(Value::Number(Number::Big("1e400".into()))));
        assert_eq!(
            n("1.5e-400"),
            Ok(Value::Number(Number::Big("1.5e-400".into())))
        );
        assert_eq!(n("\"42\""), Ok(Value::from(42)));
        assert!(n("\"forty\"").is_err());
        for bad in [
            "01", "1.", ".5", "-", "+1", "1e", "0x10", "NaN", "Infinity", "1.e5",
        ] {
            assert!(n(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collections_and_objects() {
        let ty = Type::object([
            ("name", Type::String),
            ("tags", Type::list(Type::String)),
            ("ids", Type::set(Type::Number)),
            ("labels", Type::map(Type::String)),
            ("pair", Type::tuple(vec![Type::String, Type::Bool])),
            (
                "inner",
                Type::object([("x", Type::Number), ("y", Type::String)]),
            ),
            ("missing", Type::Bool),
        ]);
        let json = br#"{
            "name": "n", "tags": ["a", null], "ids": [1, 2],
            "labels": {"k": "v", "e": null}, "pair": ["p", true],
            "inner": {"x": 1}
        }"#;
        assert_eq!(
            decode(json, &ty),
            Ok(obj(vec![
                ("name", Value::from("n")),
                ("tags", Value::List(vec![Value::from("a"), Value::Null])),
                ("ids", Value::Set(vec![Value::from(1), Value::from(2)])),
                (
                    "labels",
                    Value::Map(BTreeMap::from([
                        ("k".to_string(), Value::from("v")),
                        ("e".to_string(), Value::Null)
                    ]))
                ),
                (
                    "pair",
                    Value::Tuple(vec![Value::from("p"), Value::from(true)])
                ),
                (
                    "inner",
                    obj(vec![("x", Value::from(1)), ("y", Value::Null)])
                ),
                ("missing", Value::Null),
            ]))
        );
        assert_eq!(
            decode(b"{}", &Type::map(Type::Bool)),
            Ok(Value::Map(BTreeMap::new()))
        );
        assert_eq!(
            decode(b"[]", &Type::list(Type::Bool)),
            Ok(Value::List(vec![]))
        );
    }

    #[test]
    fn dynamic_values() {
        let ty = Type::object([("d", Type::Dynamic)]);
        assert_eq!(
            decode(
                br#"{"d": {"value": ["a", "b"], "type": ["list", "string"]}}"#,
                &ty
            ),
            Ok(obj(vec![(
                "d",
                Value::List(vec![Value::from("a"), Value::from("b")])
            )]))
        );
        assert_eq!(
            decode(br#"{"type": "number", "value": 5}"#, &Type::Dynamic),
            Ok(Value::from(5))
        );
        assert_eq!(
            decode(br#"{"type": ["object", {"a": "dynamic"}], "value": {"a": {"type": "bool", "value": true}}}"#, &Type::Dynamic),
            Ok(obj(vec![("a", Value::from(true))]))
        );
        assert_eq!(
            decode(br#"{"type": "string", "value": null}"#, &Type::Dynamic),
            Ok(Value::Null)
        );
        for bad in [
            r#"{"value": 1}"#,
            r#"{"type": "number"}"#,
            r#"{"type": "number", "value": 1, "extra": 2}"#,
            r#"{"type": "nope", "value": 1}"#,
            r#"{"type": "number", "value": "x"}"#,
            r#"{"type": "number", "type": "number", "value": 1}"#,
            r#"[1]"#,
            r#"5"#,
        ] {
            assert!(decode(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad}");
        }
        let err = decode(br#"{"d": {"type": "nope", "value": 1}}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("d"));
    }

    #[test]
    fn errors_carry_paths() {
        let ty = Type::object([(
            "items",
            Type::list(Type::object([("tags", Type::map(Type::Number))])),
        )]);
        let err = decode(br#"{"items": [{"tags": {}}, {"tags": {"k": "x"}}]}"#, &ty).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attribute("items")
                .then_index(1)
                .then_attribute("tags")
                .then_key("k")
        );
        assert!(
            err.message.contains("not a valid number"),
            "{}",
            err.message
        );

        let err = decode(br#"{"items": [{"foo": 1}]}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("items").then_index(0));
        assert_eq!(err.message, "object has no attribute \"foo\"");

        let err = decode(br#"{"items": {}}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("items"));
        assert_eq!(err.message, "expected a list, found an object");

        let err = decode(br#"["a"]"#, &Type::tuple(vec![Type::String, Type::String])).unwrap_err();
        assert!(err.message.contains("tuple of 2"), "{}", err.message);
        assert!(decode(br#"["a", "b", "c"]"#, &Type::tuple(vec![Type::String])).is_err());
        assert!(decode(br#"{"a": 1, "a": 2}"#, &Type::map(Type::Number)).is_err());
        assert!(decode(br#"{"a": 1, "a": 2}"#, &Type::object([("a", Type::Number)])).is_err());
        assert!(decode(br#"{"a": 1}"#, &Type::String).is_err());
        assert!(decode(b"[true]", &Type::Number).is_err());
        assert!(decode(b"{}", &Type::Bool).is_err());
    }

    #[test]
    fn malformed_json() {
        for bad in [
            "",
            " ",
            "nul",
            "tru",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{a:1}",
            "\"abc",
            "\"a\\x\"",
            "\"a\u{1}\"",
            "\"\\u12\"",
            "\"\\uzzzz\"",
            "[",
            "{",
            "1 2",
            "[]]",
            "'a'",
        ] {
            assert!(decode(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad:?}");
            assert!(
                decode(bad.as_bytes(), &Type::list(Type::Number)).is_err(),
                "{bad:?}"
            );
        }
        assert!(decode(b"\"\xff\"", &Type::String).is_err());
    }

    #[test]
    fn depth_limits() {
        let mut ty = Type::String;
        for _ in 0..MAX_DEPTH {
            ty = Type::list(ty);
        }
        let json = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(decode(json.as_bytes(), &ty).is_ok());
        let deeper = Type::list(ty);
        let json = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let err = decode(json.as_bytes(), &deeper).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
        // Raw nesting far beyond any limit is refused by the parser, no stack overflow.
        let json = "[".repeat(1_000_000);
        assert!(decode(json.as_bytes(), &Type::Dynamic).is_err());
        // Dynamic values nested in dynamic values count towards the limit too.
        let mut json = String::from("1");
        for _ in 0..(MAX_DEPTH + 1) {
            json = format!("{{\"type\":\"dynamic\",\"value\":{json}}}");
        }
        let err = decode(json.as_bytes(), &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
    }

    #[test]
    fn size_and_item_limits() {
        use crate::plugin::types::{MAX_VALUE_BYTES, MAX_VALUE_ITEMS};
        let mut text = vec![b' '; MAX_VALUE_BYTES];
        text[0] = b'1';
        assert_eq!(decode(&text, &Type::Number), Ok(Value::from(1)));
        text.push(b' ');
        let err = decode(&text, &Type::Number).unwrap_err();
        assert!(err.message.contains("bytes allowed"), "{}", err.message);
        assert!(Type::from_json(&text).is_err());
        // Every JSON node counts, so the parser never builds a huge tree.
        let nulls = |count: usize| format!("[{}null]", "null,".repeat(count - 1));
        let ty = Type::list(Type::String);
        assert!(decode(nulls(MAX_VALUE_ITEMS - 1).as_bytes(), &ty).is_ok());
        let err = decode(nulls(MAX_VALUE_ITEMS).as_bytes(), &ty).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
        // Absent attributes filled in as null count too.
        let ty = Type::list(Type::object(
            (0..100).map(|i| (format!("a{i}"), Type::Bool)),
        ));
        let empties = |count: usize| format!("[{}{{}}]", "{},".repeat(count - 1));
        assert!(decode(empties(1_000).as_bytes(), &ty).is_ok());
        let err = decode(empties(11_000).as_bytes(), &ty).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
    }

    #[test]
    fn random_input_never_panics() {
        let mut seed: u64 = 0x1234_5678_9abc_def0;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"[]{}\",:0123456789.eE+-tfnul \\abc";
        let ty = Type::object([
            ("a", Type::list(Type::Dynamic)),
            ("b", Type::map(Type::Number)),
        ]);
        for _ in 0..20_000 {
            let len = usize::try_from(next() % 40).unwrap_or(0);
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = usize::try_from(next() % 64).unwrap_or(0);
                    alphabet
                        .get(r)
                        .copied()
                        .unwrap_or(u8::try_from(next() % 256).unwrap_or(0))
                })
                .collect();
            let _ = decode(&input, &ty);
            let _ = decode(&input, &Type::Dynamic);
            let _ = Type::from_json(&input);
        }
    }
}
