//! The value model: what a Terraform value (a cty value) looks like once
//! decoded, independent of its wire encoding, so providers can read
//! configuration and build state without knowing about msgpack or JSON.

use std::collections::BTreeMap;

use crate::plugin::cty::number::Number;
use crate::plugin::cty::types::{named, Type};

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

    /// An object value from `(name, value)` pairs, the counterpart of
    /// [`Type::object`] for building state and test input.
    pub fn object<I, K>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(named(attributes))
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
            Value::Unknown(_) => "a value that is not known yet",
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
