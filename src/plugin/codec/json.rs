//! Decoding of `DynamicValue.json`: the JSON alternative to msgpack that
//! Terraform may use for a `DynamicValue` (and, in state upgrades, raw state).
//! The document is parsed whole (`json_tree`), then read by the typed walk
//! the msgpack decoder uses, with JSON's own rules for scalars, `dynamic`
//! values and keys given twice.

use std::borrow::Cow;

use crate::plugin::codec::error::{preview, CodecError};
use crate::plugin::codec::json_tree::{parse_json, Json};
use crate::plugin::codec::trail::Trail;
use crate::plugin::codec::walk::{Reader, Shape, Walk};
use crate::plugin::cty::{Decimal, Number, Type, Value};

/// Decodes a `DynamicValue.json` document against `ty`, following cty's JSON
/// rules: `null` is null of any type; a `dynamic` value is
/// `{"value": …, "type": <type JSON>}`; missing object attributes become null
/// and unexpected ones are errors; whole numbers become `Int` (or `Big` when
/// out of range), others `Float` (or `Big` when they overflow or underflow an
/// f64). Like cty, strings are accepted for numbers and bools
/// (`"12"`, `"true"`), and numbers and bools for strings, and a key given
/// twice in an object takes the last value. The same size, item-count and
/// depth limits apply as to msgpack.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let tree = parse_json(bytes)?;
    Walk::new(JsonReader::new(&tree), Trail::default()).value(ty, 0)
}

/// A parsed document read item by item in document order, as the walk reads
/// msgpack.
struct JsonReader<'a> {
    /// Items and keys still to be read, the next one last.
    pending: Vec<Pending<'a>>,
    /// The container whose header was read last; its elements or entries are
    /// queued when the next item is read, unless it was a `dynamic` wrapper.
    opened: Option<&'a Json>,
}

enum Pending<'a> {
    Item(&'a Json),
    Key(&'a str),
}

impl<'a> JsonReader<'a> {
    fn new(tree: &'a Json) -> Self {
        Self {
            pending: vec![Pending::Item(tree)],
            opened: None,
        }
    }

    fn next(&mut self) -> Option<Pending<'a>> {
        match self.opened.take() {
            Some(Json::Array(items)) => self.pending.extend(items.iter().rev().map(Pending::Item)),
            Some(Json::Object(members)) => {
                for (key, value) in members.iter().rev() {
                    self.pending.push(Pending::Item(value));
                    self.pending.push(Pending::Key(key));
                }
            }
            _ => {}
        }
        self.pending.pop()
    }
}

/// The walk reads no more than each header announces, so the document never
/// runs out under it; this is the message should that ever change.
const ENDED_EARLY: &str = "the JSON document ended before the value did";

impl<'a> Reader for JsonReader<'a> {
    type Head = &'a Json;

    const LAST_KEY_WINS: bool = true;

    fn head(&mut self) -> Result<&'a Json, String> {
        match self.next() {
            Some(Pending::Item(item)) => {
                if matches!(item, Json::Array(_) | Json::Object(_)) {
                    self.opened = Some(item);
                }
                Ok(item)
            }
            _ => Err(ENDED_EARLY.to_string()),
        }
    }

    fn shape(head: &Json) -> Shape {
        match head {
            Json::Null => Shape::Null,
            Json::Array(items) => Shape::Array(items.len()),
            Json::Object(members) => Shape::Map(members.len()),
            Json::Bool(_) | Json::Number(_) | Json::String(_) => Shape::Scalar,
        }
    }

    fn phrase(head: &Json) -> Cow<'static, str> {
        head.kind().into()
    }

    fn key(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Pending::Key(key)) => Ok(key.to_string()),
            _ => Err(ENDED_EARLY.to_string()),
        }
    }

    fn string(&mut self, head: &Json) -> Result<Option<String>, String> {
        Ok(match head {
            Json::String(text) | Json::Number(text) => Some(text.clone()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    fn number(&mut self, head: &Json) -> Result<Option<Number>, String> {
        match head {
            Json::Number(text) | Json::String(text) => json_number(text)
                .map(Some)
                .ok_or_else(|| format!("{} is not a valid number", preview(text))),
            _ => Ok(None),
        }
    }

    fn bool(head: &Json) -> Option<bool> {
        match head {
            Json::Bool(b) => Some(*b),
            Json::String(s) if s == "true" => Some(true),
            Json::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// A `dynamic` value is `{"value": …, "type": …}`. As in go-cty, members
    /// are read in order and the last "type" and "value" win; every "type"
    /// given must be a valid type.
    fn dynamic(&mut self, head: &'a Json) -> Result<Type, String> {
        self.opened = None;
        let Json::Object(members) = head else {
            return Err(format!(
                "expected a dynamically-typed value ({{\"value\": …, \"type\": …}}), found {}",
                head.kind()
            ));
        };
        let mut value = None;
        let mut ty = None;
        for (key, member) in members {
            match key.as_str() {
                "value" => value = Some(member),
                "type" => ty = Some(Type::from_json_tree(member).map_err(|e| e.message)?),
                other => {
                    return Err(format!(
                        "invalid key {other:?} in a dynamically-typed value; expected \"value\" and \"type\""
                    ))
                }
            }
        }
        let Some(ty) = ty else {
            return Err("missing \"type\" in a dynamically-typed value".to_string());
        };
        let Some(value) = value else {
            return Err("missing \"value\" in a dynamically-typed value".to_string());
        };
        self.pending.push(Pending::Item(value));
        Ok(ty)
    }

    /// JSON has no unknown values: no header has `Shape::Unknown`.
    fn unknown(
        walk: &mut Walk<Self>,
        head: &'a Json,
        ty: &Type,
        _depth: usize,
    ) -> Result<Value, CodecError> {
        Err(walk.mismatch(ty, head))
    }
}

/// Converts JSON number text or a string holding a number into a
/// [`Number`]: `Int` when whole and in range, `Big` for other whole numbers,
/// `Float` for the rest unless an f64 would overflow or underflow (`Big`).
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::codec::limits::MAX_DEPTH;
    use crate::plugin::path::AttributePath;

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
            Ok(Value::object([
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
                    Value::object([("x", Value::from(1)), ("y", Value::Null)])
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
            Ok(Value::object([(
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
            Ok(Value::object([("a", Value::from(true))]))
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
            r#"{"type": "nope", "type": "number", "value": 1}"#,
            r#"[1]"#,
            r#"5"#,
        ] {
            assert!(decode(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad}");
        }
        let err = decode(br#"{"d": {"type": "nope", "value": 1}}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("d"));
    }

    #[test]
    fn a_key_given_twice_takes_the_last_value() {
        assert_eq!(
            decode(br#"{"a": 1, "a": 2}"#, &Type::map(Type::Number)),
            Ok(Value::Map(BTreeMap::from([(
                "a".to_string(),
                Value::from(2)
            )])))
        );
        assert_eq!(
            decode(br#"{"a": 1, "a": 2}"#, &Type::object([("a", Type::Number)])),
            Ok(Value::object([("a", Value::from(2))]))
        );
        assert_eq!(
            decode(
                br#"{"value": 1, "type": "number", "value": 2}"#,
                &Type::Dynamic
            ),
            Ok(Value::from(2))
        );
        assert_eq!(
            decode(
                br#"{"type": "string", "value": "x", "type": "bool", "value": true}"#,
                &Type::Dynamic
            ),
            Ok(Value::from(true))
        );
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
        assert!(decode(br#"{"a": "x", "a": 2}"#, &Type::map(Type::Number)).is_err());
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
        use crate::plugin::codec::limits::{MAX_VALUE_BYTES, MAX_VALUE_ITEMS};
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
