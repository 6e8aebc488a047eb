//! The cty type JSON: schema `Attribute.type` bytes and the type half of a
//! `dynamic` value (`"string"`, `["list","string"]`, `["object",{…}]`, …).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::json;

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::json_tree::{parse_json, Json};
use crate::plugin::codec::limits::MAX_DEPTH;
use crate::plugin::cty::Type;

impl Type {
    /// The cty type JSON, as Terraform expects in `Attribute.type` and in the
    /// type half of a `dynamic` value: `"string"`, `["list","string"]`,
    /// `["object",{"a":"bool"}]` (attributes sorted), `["tuple",["string"]]`.
    pub fn to_json(&self) -> String {
        self.json_tree().to_string()
    }

    fn json_tree(&self) -> serde_json::Value {
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(element) => json!(["list", element.json_tree()]),
            Type::Set(element) => json!(["set", element.json_tree()]),
            Type::Map(element) => json!(["map", element.json_tree()]),
            Type::Object(attributes) => {
                let attributes: serde_json::Map<String, serde_json::Value> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.json_tree()))
                    .collect();
                json!(["object", attributes])
            }
            Type::Tuple(elements) => {
                let elements: Vec<serde_json::Value> =
                    elements.iter().map(Type::json_tree).collect();
                json!(["tuple", elements])
            }
        }
    }

    /// Parses cty type JSON (the inverse of [`Type::to_json`]).
    ///
    /// Accepts the optional third element of an object type (the list of
    /// optional attribute names) and ignores it; an attribute listed twice
    /// takes the last type given, as in go-cty. Rejects anything else that is
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
}

fn type_error(message: impl fmt::Display) -> CodecError {
    CodecError::root(format!("invalid type description: {message}"))
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
                        other.kind()
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
                    other.kind()
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
            other.kind()
        ))),
    }
}

fn object_from_tree(attributes: &Json, depth: usize) -> Result<Type, CodecError> {
    let Json::Object(entries) = attributes else {
        return Err(type_error(format_args!(
            "object attribute types must be a JSON object, found {}",
            attributes.kind()
        )));
    };
    // As in go-cty, every attribute type must be valid and a name listed
    // twice takes the last type given.
    let mut out = BTreeMap::new();
    for (name, ty) in entries {
        out.insert(name.clone(), type_from_tree(ty, depth)?);
    }
    Ok(Type::Object(out))
}

/// Validates the optional-attributes list of an object type; its content is
/// not otherwise used because providers never need it.
fn check_optional_attributes(optional: &Json, ty: &Type) -> Result<(), CodecError> {
    let Json::Array(names) = optional else {
        return Err(type_error(format_args!(
            "the optional attributes of an object type must be an array of names, found {}",
            optional.kind()
        )));
    };
    for name in names {
        let Json::String(name) = name else {
            return Err(type_error(format_args!(
                "optional attribute names must be strings, found {}",
                name.kind()
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
            b"[\"object\",{\"a\":\"nope\",\"a\":\"bool\"}]",
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
        // As in go-cty, the last type given for an attribute wins.
        assert_eq!(
            Type::from_json(br#"["object",{"a":"string","a":"bool"}]"#),
            Ok(Type::object([("a", Type::Bool)]))
        );
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
}
