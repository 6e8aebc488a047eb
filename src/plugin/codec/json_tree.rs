//! JSON documents parsed with `serde_json` into a small tree that keeps what
//! cty needs and `serde_json::Value` does not: the text of every number
//! (cty numbers are arbitrary-precision), object members in document order
//! with their duplicates (go-cty reads members in order and the last one
//! wins), and the decoders' limits, enforced while parsing. It reads both
//! `DynamicValue.json` documents and cty type JSON.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::limits::{check_input_size, ItemBudget, MAX_DEPTH};

/// How deeply raw JSON may nest. Larger than [`MAX_DEPTH`] because one level of
/// a type or value can take two JSON levels (an object type is an array
/// holding an object; a dynamic value is an object holding the value); the
/// type- and value-level limits are enforced separately.
const JSON_MAX_DEPTH: usize = 4 * MAX_DEPTH + 8;

/// The key under which `serde_json`, built with its `arbitrary_precision`
/// feature, hands a visitor a number: a one-entry map from this key to the
/// number's text. `serde_json::Value` recognises numbers by the same key.
const NUMBER_KEY: &str = "$serde_json::private::Number";

/// A parsed JSON document with numbers kept as decimal text and object
/// members in document order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What the node is, with an article ("a string", "an object"), for
    /// "expected …, found …" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a bool",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses one JSON document (surrounding whitespace allowed, nothing else).
///
/// Documents longer than [`MAX_VALUE_BYTES`](crate::plugin::codec::MAX_VALUE_BYTES),
/// with more than [`MAX_VALUE_ITEMS`](crate::plugin::codec::MAX_VALUE_ITEMS)
/// nodes or nested deeper than `JSON_MAX_DEPTH` are refused, bounding the
/// memory the tree takes and the stack the parse uses. A number's text is the
/// one in the document, except that an exponent is written `e` with no `+`
/// (`1E+5` becomes `1e5`).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Json, CodecError> {
    check_input_size(bytes.len())?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CodecError::root(format!(
            "invalid JSON: not valid UTF-8 at byte {}",
            e.valid_up_to()
        ))
    })?;
    let text = replace_lone_surrogates(text);
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    // `Node` bounds the nesting itself, deeper than serde_json's default of 128.
    deserializer.disable_recursion_limit();
    let mut budget = ItemBudget::default();
    let node = Node {
        budget: &mut budget,
        depth: 0,
    };
    node.deserialize(&mut deserializer)
        .and_then(|tree| deserializer.end().map(|()| tree))
        .map_err(|e| CodecError::root(format!("invalid JSON: {e}")))
}

/// Rewrites every `\u` escape of a lone UTF-16 surrogate as `\uFFFD`: Go's
/// decoder, and so Terraform's, reads such an escape as U+FFFD where
/// `serde_json` refuses the document. The text keeps its length, so error
/// positions stay true.
fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut fixed: Option<Vec<u8>> = None;
    let mut at = 0;
    while at < bytes.len() {
        if bytes.get(at) != Some(&b'\\') {
            at += 1;
            continue;
        }
        match surrogate_escape(bytes, at) {
            Some(0xD800..=0xDBFF)
                if matches!(surrogate_escape(bytes, at + 6), Some(0xDC00..=0xDFFF)) =>
            {
                at += 12;
            }
            Some(_) => {
                let out = fixed.get_or_insert_with(|| bytes.to_vec());
                if let Some(digits) = out.get_mut(at + 2..at + 6) {
                    digits.copy_from_slice(b"FFFD");
                }
                at += 6;
            }
            // Any other escape, or a backslash outside a string (which
            // serde_json refuses).
            None => at += 2,
        }
    }
    match fixed.map(String::from_utf8) {
        // Only ASCII hex digits were replaced, so the text is still UTF-8.
        Some(Ok(text)) => Cow::Owned(text),
        _ => Cow::Borrowed(text),
    }
}

/// The code unit of the `\uXXXX` escape at `at`, when it is a UTF-16 surrogate.
fn surrogate_escape(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at.checked_add(6)?)?;
    let digits = escape.strip_prefix(b"\\u")?;
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let unit = u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
    (0xD800..=0xDFFF).contains(&unit).then_some(unit)
}

/// Builds one node of the tree from serde_json's events, counting it against
/// the item budget and its nesting against `JSON_MAX_DEPTH`.
struct Node<'b> {
    budget: &'b mut ItemBudget,
    depth: usize,
}

impl Node<'_> {
    fn child(&mut self) -> Node<'_> {
        Node {
            budget: self.budget,
            depth: self.depth + 1,
        }
    }

    fn nest<E: de::Error>(&self) -> Result<(), E> {
        if self.depth >= JSON_MAX_DEPTH {
            Err(E::custom("nested too deeply"))
        } else {
            Ok(())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        self.budget.spend(1).map_err(de::Error::custom)?;
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Json, A::Error> {
        self.nest()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child())? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Json, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            self.nest()?;
            return Ok(Json::Object(Vec::new()));
        };
        if first == NUMBER_KEY {
            let text: String = map.next_value()?;
            return Ok(Json::Number(text.replace("e+", "e")));
        }
        self.nest()?;
        let mut members = vec![(first, map.next_value_seed(self.child())?)];
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.child())?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Json, CodecError> {
        parse_json(text.as_bytes())
    }

    #[test]
    fn numbers_keep_their_text() {
        for (json, text) in [
            ("0", "0"),
            ("-0", "-0"),
            ("18446744073709551615", "18446744073709551615"),
            ("-9223372036854775808", "-9223372036854775808"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("1.50", "1.50"),
            ("1e400", "1e400"),
            ("1E+5", "1e5"),
            ("-2.5e-3", "-2.5e-3"),
        ] {
            assert_eq!(parse(json), Ok(Json::Number(text.to_string())), "{json}");
        }
        assert_eq!(
            parse("[1, 2.5]"),
            Ok(Json::Array(vec![
                Json::Number("1".into()),
                Json::Number("2.5".into())
            ]))
        );
    }

    #[test]
    fn objects_keep_order_and_duplicates() {
        assert_eq!(
            parse(r#"{"b": 1, "a": null, "b": true}"#),
            Ok(Json::Object(vec![
                ("b".into(), Json::Number("1".into())),
                ("a".into(), Json::Null),
                ("b".into(), Json::Bool(true)),
            ]))
        );
        // An object whose first key is serde_json's number key is still taken
        // for a number: the one input this tree reads differently from the text.
        assert_eq!(
            parse(r#"{"$serde_json::private::Number": "7"}"#),
            Ok(Json::Number("7".into()))
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let cases = [
            (r#""\ud83d""#, "\u{FFFD}"),
            (r#""\udc00x""#, "\u{FFFD}x"),
            (r#""\ud83d\ude00""#, "😀"),
            (r#""\ud83d\u0041""#, "\u{FFFD}A"),
            (r#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
            (r#""\\ud83d""#, "\\ud83d"),
        ];
        for (json, text) in cases {
            assert_eq!(parse(json), Ok(Json::String(text.to_string())), "{json}");
        }
        assert!(parse(r#"{"\ud800": 1}"#).is_ok());
        assert!(parse(r#"\ud800"#).is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
        assert!(parse(&nested(JSON_MAX_DEPTH)).is_ok());
        let err = parse(&nested(JSON_MAX_DEPTH + 1)).unwrap_err();
        assert!(err.message.contains("nested too deeply"), "{}", err.message);
        let objects = "{\"a\":".repeat(JSON_MAX_DEPTH) + "1" + &"}".repeat(JSON_MAX_DEPTH);
        assert!(parse(&objects).is_ok());
        let objects = "{\"a\":".repeat(JSON_MAX_DEPTH + 1) + "1" + &"}".repeat(JSON_MAX_DEPTH + 1);
        assert!(parse(&objects).is_err());
    }

    #[test]
    fn syntax_errors_say_invalid_json() {
        for bad in ["", "nul", "[1,]", "{\"a\" 1}", "1 2", "\"a\u{1}\"", "01"] {
            let err = parse(bad).unwrap_err();
            assert!(err.path.is_root());
            assert!(
                err.message.starts_with("invalid JSON"),
                "{bad:?}: {}",
                err.message
            );
        }
        let err = parse_json(b"\"\xff\"").unwrap_err();
        assert_eq!(err.message, "invalid JSON: not valid UTF-8 at byte 1");
    }
}
