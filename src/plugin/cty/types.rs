//! cty types: the type system Terraform uses for every value that crosses the
//! plugin protocol. Their JSON form lives with the codecs
//! ([`crate::plugin::codec`]).

use std::collections::BTreeMap;
use std::fmt;

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
        Type::Object(named(attributes))
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

/// A map of `(name, item)` pairs, for the object constructors of types and
/// values.
pub(crate) fn named<I, K, T>(pairs: I) -> BTreeMap<String, T>
where
    I: IntoIterator<Item = (K, T)>,
    K: Into<String>,
{
    pairs
        .into_iter()
        .map(|(name, item)| (name.into(), item))
        .collect()
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.friendly_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
