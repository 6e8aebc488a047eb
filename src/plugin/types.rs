//! cty types: the type system Terraform uses for every value that crosses the
//! plugin protocol, their JSON form (schema `Attribute.type` bytes and the type
//! half of a `dynamic` value), and the error type shared by the value codecs.

use std::collections::BTreeMap;
use std::fmt;

use crate::plugin::json_value::{parse_json, Json};
use crate::plugin::path::AttributePath;

/// The deepest nesting of types and values the codecs accept.
///
/// It exists so hostile or corrupt input cannot exhaust the stack through
/// recursion; real Terraform schemas stay far below it.
pub const MAX_DEPTH: usize = 64;

/// The largest encoded value (msgpack or JSON) the decoders accept, in bytes.
///
/// Far above any configuration or state a data source sees, and below the
/// 256 MiB gRPC message limit, so a corrupt or hostile message is refused
/// before any work is done on it.
pub const MAX_VALUE_BYTES: usize = 64 << 20;

/// The most values one decoded value may hold, counting every element,
/// attribute and map entry at every level (attributes absent from the input
/// and filled in as null count too).
///
/// Each decoded value takes about a hundred bytes however small its encoding
/// (a msgpack nil is one byte), so this bounds the memory a decode can use to
/// a few hundred MiB whatever the input, where the byte limit alone would not.
pub const MAX_VALUE_ITEMS: usize = 1 << 20;

/// Refuses an encoded value longer than [`MAX_VALUE_BYTES`].
pub(crate) fn check_input_size(len: usize) -> Result<(), CodecError> {
    if len > MAX_VALUE_BYTES {
        Err(CodecError::root(format!(
            "the value takes {len} bytes, more than the {MAX_VALUE_BYTES} bytes allowed"
        )))
    } else {
        Ok(())
    }
}

/// Counts decoded values against [`MAX_VALUE_ITEMS`].
#[derive(Debug, Default)]
pub(crate) struct ItemBudget {
    used: usize,
}

impl ItemBudget {
    /// Accounts for `items` more values; `Err` with a message once the limit is passed.
    pub(crate) fn spend(&mut self, items: usize) -> Result<(), String> {
        self.used = self.used.saturating_add(items);
        if self.used > MAX_VALUE_ITEMS {
            Err(format!(
                "the value holds more than {MAX_VALUE_ITEMS} elements, attributes and entries in all"
            ))
        } else {
            Ok(())
        }
    }
}

/// A problem found while encoding or decoding a value or a type.
///
/// It carries the attribute path of the offending value so the caller can turn
/// it into a diagnostic that points at the right attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct CodecError {
    /// Where in the value the problem is; the root path for whole-input problems.
    pub path: AttributePath,
    /// What went wrong, for humans.
    pub message: String,
}

impl CodecError {
    /// An error at `path`.
    pub fn new(path: AttributePath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }

    /// An error about the input as a whole (root path).
    pub fn root(message: impl Into<String>) -> Self {
        Self::new(AttributePath::root(), message)
    }

    /// The same error with `prefix` prepended to its path, for errors found in a
    /// nested document (such as the type JSON embedded in a `dynamic` value).
    pub fn within(self, prefix: &AttributePath) -> Self {
        let mut steps = prefix.steps.clone();
        steps.extend(self.path.steps);
        Self {
            path: AttributePath { steps },
            message: self.message,
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CodecError {}

/// A cty type: what shape a value has on the wire and in schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// A UTF-8 string.
    String,
    /// An arbitrary-precision number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Any type, decided per value (`cty.DynamicPseudoType`); encoded with its type alongside.
    Dynamic,
    /// An ordered sequence of elements of one type.
    List(Box<Type>),
    /// An unordered collection of distinct elements of one type.
    Set(Box<Type>),
    /// String keys to values of one type.
    Map(Box<Type>),
    /// A fixed set of named attributes, each with its own type.
    Object(BTreeMap<String, Type>),
    /// A fixed-length sequence whose elements each have their own type.
    Tuple(Vec<Type>),
}

impl Type {
    /// A list of `element`; shorthand for schema builders.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// A set of `element`; shorthand for schema builders.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// A map of `element`; shorthand for schema builders.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// An object type from `(name, type)` pairs; shorthand for schema builders.
    pub fn object<I, K>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// A tuple of the given element types; shorthand for symmetry with the others.
    pub fn tuple(elements: Vec<Type>) -> Type {
        Type::Tuple(elements)
    }

    /// True for list, set and map: the types cty calls collections (the ones
    /// length refinements of unknown values apply to).
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// The cty type JSON, as Terraform expects in `Attribute.type` and in the
    /// type half of a `dynamic` value: `"string"`, `["list","string"]`,
    /// `["object",{"a":"bool"}]` (attributes sorted), `["tuple",["string"]]`.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Type::String => out.push_str("\"string\""),
            Type::Number => out.push_str("\"number\""),
            Type::Bool => out.push_str("\"bool\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(element) => write_collection_json(out, "list", element),
            Type::Set(element) => write_collection_json(out, "set", element),
            Type::Map(element) => write_collection_json(out, "map", element),
            Type::Object(attributes) => {
                out.push_str("[\"object\",{");
                for (i, (name, ty)) in attributes.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, name);
                    out.push(':');
                    ty.write_json(out);
                }
                out.push_str("}]");
            }
            Type::Tuple(elements) => {
                out.push_str("[\"tuple\",[");
                for (i, ty) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ty.write_json(out);
                }
                out.push_str("]]");
            }
        }
    }

    /// Parses cty type JSON (the inverse of [`Type::to_json`]).
    ///
    /// Accepts the optional third element of an object type (the list of
    /// optional attribute names) and ignores it; rejects anything else that is
    /// not a cty type, and types nested deeper than [`MAX_DEPTH`].
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        let tree = parse_json(bytes)?;
        Type::from_json_tree(&tree)
    }

    /// Converts an already parsed JSON document into a type; used for the
    /// `type` member of a JSON-encoded `dynamic` value.
    pub(crate) fn from_json_tree(tree: &Json) -> Result<Type, CodecError> {
        type_from_tree(tree, 0)
    }

    /// A short human name, as cty's `FriendlyName` gives: `string`,
    /// `list of string`, `object`, …; used in error messages.
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String => "string".to_string(),
            Type::Number => "number".to_string(),
            Type::Bool => "bool".to_string(),
            Type::Dynamic => "dynamic".to_string(),
            Type::List(e) => format!("list of {}", e.friendly_name()),
            Type::Set(e) => format!("set of {}", e.friendly_name()),
            Type::Map(e) => format!("map of {}", e.friendly_name()),
            Type::Object(_) => "object".to_string(),
            Type::Tuple(_) => "tuple".to_string(),
        }
    }

    /// The kind of value the type wants, with an article ("a string",
    /// "an object"), for "expected …, found …" messages.
    pub(crate) fn expected_phrase(&self) -> &'static str {
        match self {
            Type::String => "a string",
            Type::Number => "a number",
            Type::Bool => "a bool",
            Type::Dynamic => "a value of any type",
            Type::List(_) => "a list",
            Type::Set(_) => "a set",
            Type::Map(_) => "a map",
            Type::Object(_) => "an object",
            Type::Tuple(_) => "a tuple",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.friendly_name())
    }
}

fn write_collection_json(out: &mut String, kind: &str, element: &Type) {
    out.push_str("[\"");
    out.push_str(kind);
    out.push_str("\",");
    element.write_json(out);
    out.push(']');
}

/// Writes `text` as a JSON string literal (quotes included).
pub(crate) fn write_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn type_error(message: impl fmt::Display) -> CodecError {
    CodecError::root(format!("invalid type description: {message}"))
}

/// A short description of a JSON node for error messages.
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

fn type_from_tree(tree: &Json, depth: usize) -> Result<Type, CodecError> {
    match tree {
        Json::String(name) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(type_error(format_args!(
                "unknown primitive type name {other:?}; expected \"string\", \"number\", \"bool\" or \"dynamic\""
            ))),
        },
        Json::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(type_error(format_args!(
                    "types are nested more than {MAX_DEPTH} levels deep"
                )));
            }
            let depth = depth + 1;
            let (kind, rest) = match items.split_first() {
                Some((Json::String(kind), rest)) => (kind.as_str(), rest),
                Some((other, _)) => {
                    return Err(type_error(format_args!(
                        "the first element of a complex type must be its kind name, found {}",
                        json_kind(other)
                    )))
                }
                None => return Err(type_error("empty array")),
            };
            match (kind, rest) {
                ("list", [element]) => Ok(Type::list(type_from_tree(element, depth)?)),
                ("set", [element]) => Ok(Type::set(type_from_tree(element, depth)?)),
                ("map", [element]) => Ok(Type::map(type_from_tree(element, depth)?)),
                ("object", [attributes]) => object_from_tree(attributes, depth),
                ("object", [attributes, optional]) => {
                    let ty = object_from_tree(attributes, depth)?;
                    check_optional_attributes(optional, &ty)?;
                    Ok(ty)
                }
                ("tuple", [Json::Array(elements)]) => Ok(Type::Tuple(
                    elements
                        .iter()
                        .map(|e| type_from_tree(e, depth))
                        .collect::<Result<_, _>>()?,
                )),
                ("tuple", [other]) => Err(type_error(format_args!(
                    "tuple element types must be an array, found {}",
                    json_kind(other)
                ))),
                ("list" | "set" | "map" | "tuple", _) => Err(type_error(format_args!(
                    "a {kind} type must be [\"{kind}\", <type>] (2 elements), found {} elements",
                    items.len()
                ))),
                ("object", _) => Err(type_error(format_args!(
                    "an object type must be [\"object\", {{attributes}}] with an optional third element, found {} elements",
                    items.len()
                ))),
                (other, _) => Err(type_error(format_args!(
                    "unknown complex type kind {other:?}; expected \"list\", \"set\", \"map\", \"object\" or \"tuple\""
                ))),
            }
        }
        other => Err(type_error(format_args!(
            "expected a type name string or a [kind, …] array, found {}",
            json_kind(other)
        ))),
    }
}

fn object_from_tree(attributes: &Json, depth: usize) -> Result<Type, CodecError> {
    let Json::Object(entries) = attributes else {
        return Err(type_error(format_args!(
            "object attribute types must be a JSON object, found {}",
            json_kind(attributes)
        )));
    };
    let mut out = BTreeMap::new();
    for (name, ty) in entries {
        let ty = type_from_tree(ty, depth)?;
        if out.insert(name.clone(), ty).is_some() {
            return Err(type_error(format_args!(
                "object attribute {name:?} is listed twice"
            )));
        }
    }
    Ok(Type::Object(out))
}

/// Validates the optional-attributes list of an object type; its content is
/// not otherwise used because providers never need it.
fn check_optional_attributes(optional: &Json, ty: &Type) -> Result<(), CodecError> {
    let Json::Array(names) = optional else {
        return Err(type_error(format_args!(
            "the optional attributes of an object type must be an array of names, found {}",
            json_kind(optional)
        )));
    };
    for name in names {
        let Json::String(name) = name else {
            return Err(type_error(format_args!(
                "optional attribute names must be strings, found {}",
                json_kind(name)
            )));
        };
        if let Type::Object(attributes) = ty {
            if !attributes.contains_key(name) {
                return Err(type_error(format_args!(
                    "optional attribute {name:?} is not an attribute of the object type"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::path::PathStep;

    fn all_types() -> Vec<Type> {
        vec![
            Type::String,
            Type::Number,
            Type::Bool,
            Type::Dynamic,
            Type::list(Type::String),
            Type::set(Type::Number),
            Type::map(Type::Bool),
            Type::object(Vec::<(String, Type)>::new()),
            Type::object([
                ("b", Type::Bool),
                ("a", Type::list(Type::object([("x", Type::Dynamic)]))),
                ("weird \"name\"\n", Type::String),
            ]),
            Type::tuple(vec![]),
            Type::tuple(vec![Type::String, Type::map(Type::set(Type::Number))]),
            Type::list(Type::list(Type::list(Type::Dynamic))),
        ]
    }

    #[test]
    fn json_forms_are_exact() {
        assert_eq!(Type::String.to_json(), "\"string\"");
        assert_eq!(Type::Number.to_json(), "\"number\"");
        assert_eq!(Type::Bool.to_json(), "\"bool\"");
        assert_eq!(Type::Dynamic.to_json(), "\"dynamic\"");
        assert_eq!(Type::list(Type::String).to_json(), "[\"list\",\"string\"]");
        assert_eq!(Type::set(Type::Number).to_json(), "[\"set\",\"number\"]");
        assert_eq!(Type::map(Type::Bool).to_json(), "[\"map\",\"bool\"]");
        assert_eq!(
            Type::object([("b", Type::Bool), ("a", Type::String)]).to_json(),
            "[\"object\",{\"a\":\"string\",\"b\":\"bool\"}]"
        );
        assert_eq!(
            Type::tuple(vec![Type::String, Type::Number]).to_json(),
            "[\"tuple\",[\"string\",\"number\"]]"
        );
        assert_eq!(Type::tuple(vec![]).to_json(), "[\"tuple\",[]]");
        assert_eq!(
            Type::object(Vec::<(String, Type)>::new()).to_json(),
            "[\"object\",{}]"
        );
    }

    #[test]
    fn json_round_trips_for_every_type() {
        for ty in all_types() {
            let json = ty.to_json();
            assert_eq!(Type::from_json(json.as_bytes()), Ok(ty.clone()), "{json}");
            // The output is valid JSON by an independent parser too.
            assert!(
                serde_json::from_str::<serde_json::Value>(&json).is_ok(),
                "{json}"
            );
        }
    }

    #[test]
    fn accepts_whitespace_and_optional_attributes() {
        let ty = Type::from_json(
            b" [ \"object\" , { \"a\" : \"string\", \"b\": [\"list\",\"number\"] }, [\"a\"] ] ",
        );
        assert_eq!(
            ty,
            Ok(Type::object([
                ("a", Type::String),
                ("b", Type::list(Type::Number))
            ]))
        );
        let escaped = Type::from_json(br#"["object",{"\u0061\n":"bool"}]"#);
        assert_eq!(escaped, Ok(Type::object([("a\n", Type::Bool)])));
    }

    #[test]
    fn rejects_malformed_type_json() {
        let bad: &[&[u8]] = &[
            b"",
            b"   ",
            b"\"strin\"",
            b"\"string",
            b"string",
            b"42",
            b"null",
            b"true",
            b"{}",
            b"[]",
            b"[\"list\"]",
            b"[\"list\",\"string\",\"string\"]",
            b"[\"lst\",\"string\"]",
            b"[1,\"string\"]",
            b"[\"object\",[]]",
            b"[\"object\",{\"a\":\"string\"},[\"b\"]]",
            b"[\"object\",{\"a\":\"string\"},\"a\"]",
            b"[\"object\",{\"a\":\"string\"},[1]]",
            b"[\"object\",{\"a\":\"string\"},[],[]]",
            b"[\"object\",{\"a\":\"string\",\"a\":\"bool\"}]",
            b"[\"object\",{\"a\":\"nope\"}]",
            b"[\"tuple\",\"string\"]",
            b"[\"tuple\",[\"string\"],[]]",
            b"\"string\" \"number\"",
            b"\"string\"x",
            b"[\"list\",\"string\"",
            b"[\"list\",\"string\",]",
            b"\xff",
        ];
        for input in bad {
            let err = Type::from_json(input);
            assert!(
                err.is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(input)
            );
            let err = err.unwrap_err();
            assert!(err.path.is_root());
            assert!(!err.message.is_empty());
        }
        let err = Type::from_json(b"\"strin\"").unwrap_err();
        assert!(err.message.contains("\"strin\""), "{}", err.message);
    }

    #[test]
    fn type_depth_is_limited() {
        let nest = |levels: usize| {
            let mut json = String::new();
            for _ in 0..levels {
                json.push_str("[\"list\",");
            }
            json.push_str("\"string\"");
            for _ in 0..levels {
                json.push(']');
            }
            json
        };
        assert!(Type::from_json(nest(MAX_DEPTH).as_bytes()).is_ok());
        let err = Type::from_json(nest(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
        // Far deeper than any limit: still an error, not a stack overflow.
        assert!(Type::from_json(nest(100_000).as_bytes()).is_err());
        let objects =
            "[\"object\",{\"a\":".repeat(MAX_DEPTH) + "\"bool\"" + &"}]".repeat(MAX_DEPTH);
        assert!(Type::from_json(objects.as_bytes()).is_ok());
        let objects =
            "[\"object\",{\"a\":".repeat(MAX_DEPTH + 1) + "\"bool\"" + &"}]".repeat(MAX_DEPTH + 1);
        assert!(Type::from_json(objects.as_bytes()).is_err());
    }

    #[test]
    fn error_display_includes_path() {
        let err = CodecError::root("boom");
        assert_eq!(err.to_string(), "boom");
        let err = CodecError::new(
            AttributePath {
                steps: vec![
                    PathStep::Attribute("a".into()),
                    PathStep::Index(2),
                    PathStep::Key("k".into()),
                ],
            },
            "boom",
        );
        assert_eq!(err.to_string(), "a[2][\"k\"]: boom");
        let nested = CodecError::new(AttributePath::attribute("inner"), "bad")
            .within(&AttributePath::attribute("outer"));
        assert_eq!(nested.to_string(), "outer.inner: bad");
    }

    #[test]
    fn friendly_names() {
        assert_eq!(
            Type::list(Type::map(Type::String)).to_string(),
            "list of map of string"
        );
        assert_eq!(Type::object([("a", Type::Bool)]).friendly_name(), "object");
        assert!(Type::set(Type::Bool).is_collection());
        assert!(!Type::tuple(vec![]).is_collection());
    }
}
