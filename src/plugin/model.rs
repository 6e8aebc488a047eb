//! Typed models: one Rust definition gives both a schema and the conversion of
//! values to and from it, so the two cannot disagree.
//!
//! A model is a struct with `#[derive(TfObject)]` (the `tfcf-derive` crate):
//! each field's Rust type fixes its Terraform type, its doc comment becomes
//! the attribute's description, and its `#[tf(...)]` keys set its mode,
//! sensitivity, validators and normalisation; `#[tf(flatten)]` embeds a
//! group of attributes several models share.

use std::collections::BTreeMap;

use crate::plugin::cty::Type;
use crate::plugin::cty::Value;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::path::AttributePath;
use crate::plugin::schema::{missing_required, Attribute, AttributeKind, Nesting};

/// A Rust type that stands for a Terraform value of one fixed type.
pub trait TfValue: Sized {
    /// The Terraform type of the value.
    fn tf_type() -> Type;

    /// For object-valued types: how the objects are nested and their attributes.
    fn nested() -> Option<(Nesting, Vec<Attribute>)> {
        None
    }

    /// Converts to a Terraform value.
    fn to_value(&self) -> Value;

    /// Converts from a known Terraform value; `path` names it in errors.
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics>;
}

/// A Rust struct that stands for a Terraform object: a schema's attributes.
pub trait TfObject: Sized {
    /// The attributes of the object, in declaration order.
    fn attributes() -> Vec<Attribute>;

    /// The object's attribute values by name.
    fn to_attributes(&self) -> BTreeMap<String, Value>;

    /// Reads the object from a known object value.
    fn from_attributes(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics>;

    /// The object with each field's `#[tf(normalize = …)]` step applied, for
    /// values that came from elsewhere than Terraform (an API answer); `at`
    /// is where the object sits in the state, for errors. The first error
    /// ends it.
    fn normalized(self, _at: &AttributePath) -> Result<Self, Diagnostics> {
        Ok(self)
    }

    /// Checks a configuration of this object, which may hold unknowns
    /// (never an error), beyond each attribute's validators: the
    /// `#[tf(check = …)]` of the struct and of the groups it embeds.
    fn check(_config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
}

/// The attribute kind implied by a Rust type: nested attributes for objects, a plain type otherwise.
pub(crate) fn kind_of<T: TfValue>() -> AttributeKind {
    match T::nested() {
        Some((nesting, attributes)) => AttributeKind::Nested {
            nesting,
            attributes,
        },
        None => AttributeKind::Typed(T::tf_type()),
    }
}

/// Joins doc-comment lines into one description.
pub(crate) fn doc_text(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn mismatch(path: &AttributePath, expected: &str, value: &Value) -> Diagnostics {
    if value.is_null() && !path.is_root() {
        return missing_required(path).into();
    }
    let found = value.kind_phrase();
    let where_ = if path.is_root() {
        "the object".to_string()
    } else {
        format!("attribute \"{path}\"")
    };
    Diagnostic::error(
        "Unexpected value",
        format!("Expected {expected} for {where_}, but got {found}. This is a bug in the provider or a mismatch with the Terraform version in use; please report it."),
    )
    .at(path.clone())
    .into()
}

/// `TfValue` for a Rust type held by one variant of [`Value`] as it is.
macro_rules! plain_value {
    ($rust:ty, $tf:expr, $variant:ident, $expected:literal) => {
        impl TfValue for $rust {
            fn tf_type() -> Type {
                $tf
            }
            fn to_value(&self) -> Value {
                Value::$variant(self.clone())
            }
            fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
                match value {
                    Value::$variant(inner) => Ok(inner.clone()),
                    other => Err(mismatch(path, $expected, other)),
                }
            }
        }
    };
}

plain_value!(String, Type::String, String, "a string");
plain_value!(bool, Type::Bool, Bool, "a bool");

impl TfValue for i64 {
    fn tf_type() -> Type {
        Type::Number
    }
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
        match value.as_i64() {
            Some(n) => Ok(n),
            None if matches!(value, Value::Number(_)) => Err(Diagnostic::error(
                "Number out of range",
                format!(
                    "Attribute \"{path}\" must be a whole number between {} and {}.",
                    i64::MIN,
                    i64::MAX
                ),
            )
            .at(path.clone())
            .into()),
            None => Err(mismatch(path, "a number", value)),
        }
    }
}

impl<T: TfValue> TfValue for Option<T> {
    fn tf_type() -> Type {
        T::tf_type()
    }
    fn nested() -> Option<(Nesting, Vec<Attribute>)> {
        T::nested()
    }
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, TfValue::to_value)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
        if value.is_null() {
            return Ok(None);
        }
        T::from_value(value, path).map(Some)
    }
}

impl TfValue for f64 {
    fn tf_type() -> Type {
        Type::Number
    }
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
        match value.as_number().and_then(|n| n.as_f64()) {
            Some(number) if number.is_finite() => Ok(number),
            Some(_) => Err(Diagnostic::error(
                "Number out of range",
                format!("Attribute \"{path}\" must be a finite number."),
            )
            .at(path.clone())
            .into()),
            None => Err(mismatch(path, "a number", value)),
        }
    }
}

/// A configuration value as Terraform sends it: set, null, or not known yet
/// (while validating and planning, a value that derives from something not
/// yet created). A typed model uses it for arguments it must read before
/// every value is known, such as a provider configuration being validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ConfigValue<T> {
    /// Set to this.
    Known(T),
    /// Not set.
    #[default]
    Null,
    /// Set to something not known yet.
    Unknown,
}

impl<T> ConfigValue<T> {
    /// The value, when set and known.
    pub fn known(&self) -> Option<&T> {
        match self {
            ConfigValue::Known(value) => Some(value),
            ConfigValue::Null | ConfigValue::Unknown => None,
        }
    }

    /// Whether it is not known yet.
    pub fn is_unknown(&self) -> bool {
        matches!(self, ConfigValue::Unknown)
    }

    /// Whether it is not set.
    pub fn is_null(&self) -> bool {
        matches!(self, ConfigValue::Null)
    }

    /// The same state with the known value converted.
    pub fn map<U>(&self, convert: impl FnOnce(&T) -> U) -> ConfigValue<U> {
        match self {
            ConfigValue::Known(value) => ConfigValue::Known(convert(value)),
            ConfigValue::Null => ConfigValue::Null,
            ConfigValue::Unknown => ConfigValue::Unknown,
        }
    }
}

impl<T: TfValue> TfValue for ConfigValue<T> {
    fn tf_type() -> Type {
        T::tf_type()
    }
    fn nested() -> Option<(Nesting, Vec<Attribute>)> {
        T::nested()
    }
    fn to_value(&self) -> Value {
        match self {
            ConfigValue::Known(inner) => inner.to_value(),
            ConfigValue::Null => Value::Null,
            ConfigValue::Unknown => Value::unknown(),
        }
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
        match value {
            Value::Null => Ok(ConfigValue::Null),
            Value::Unknown(_) => Ok(ConfigValue::Unknown),
            other => T::from_value(other, path).map(ConfigValue::Known),
        }
    }
}

impl<T: TfValue> TfValue for Vec<T> {
    fn tf_type() -> Type {
        Type::list(T::tf_type())
    }
    fn nested() -> Option<(Nesting, Vec<Attribute>)> {
        match T::nested() {
            Some((Nesting::Single, attributes)) => Some((Nesting::List, attributes)),
            _ => None,
        }
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(TfValue::to_value).collect())
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
        match value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut diags = Diagnostics::new();
                for (index, item) in items.iter().enumerate() {
                    let index = i64::try_from(index).unwrap_or(i64::MAX);
                    match T::from_value(item, &path.then_index(index)) {
                        Ok(v) => out.push(v),
                        Err(d) => diags.extend(d),
                    }
                }
                if diags.has_errors() {
                    Err(diags)
                } else {
                    Ok(out)
                }
            }
            other => Err(mismatch(path, "a list", other)),
        }
    }
}

/// Reads one attribute of an object value for a derived [`TfObject`] impl.
pub(crate) fn field<T: TfValue>(
    object: &Value,
    name: &str,
    path: &AttributePath,
    diags: &mut Diagnostics,
) -> Option<T> {
    let child = path.then_attribute(name);
    let value = object.attribute(name).unwrap_or(&Value::Null);
    match T::from_value(value, &child) {
        Ok(v) => Some(v),
        Err(d) => {
            diags.extend(d);
            None
        }
    }
}

/// Checks that a value is a known object before its fields are read.
pub(crate) fn expect_object(value: &Value, path: &AttributePath) -> Result<(), Diagnostics> {
    match value {
        Value::Object(_) => Ok(()),
        other => Err(mismatch(path, "an object", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Mode;
    use crate::plugin::TfObject;

    /// A group embedded in [`Outer`]; its field names are those of the
    /// derived code's own parameters and locals, which must not clash.
    #[derive(Debug, Clone, Default, PartialEq, TfObject)]
    #[tf(computed)]
    struct Group {
        /// Named like a parameter.
        #[tf(normalize = shouted)]
        value: Option<String>,
        /// Named like a local.
        diags: Option<bool>,
    }

    /// A model with an argument and an embedded group.
    #[derive(Debug, Clone, PartialEq, TfObject)]
    struct Outer {
        /// The argument.
        #[tf(required, sensitive)]
        path: String,
        #[tf(flatten)]
        group: Group,
    }

    fn shouted(text: Option<String>, at: &AttributePath) -> Result<Option<String>, Diagnostic> {
        match text {
            Some(text) if text == "bad" => Err(Diagnostic::error("Bad", "not this").at(at.clone())),
            other => Ok(other.map(|t| t.to_uppercase())),
        }
    }

    #[test]
    fn a_flattened_group_adds_its_attributes_in_place_and_round_trips() {
        let attributes = Outer::attributes();
        let shape: Vec<(&str, Mode, bool)> = attributes
            .iter()
            .map(|a| (a.name.as_str(), a.mode, a.sensitive))
            .collect();
        assert_eq!(
            shape,
            [
                ("path", Mode::Required, true),
                ("value", Mode::Computed, false),
                ("diags", Mode::Computed, false)
            ]
        );
        assert_eq!(attributes[1].description, "Named like a parameter.");
        let outer = Outer {
            path: "p".into(),
            group: Group {
                value: Some("v".into()),
                diags: Some(true),
            },
        };
        let value = outer.to_value();
        assert_eq!(value.attribute("value"), Some(&Value::from("v")));
        assert_eq!(
            Outer::from_value(&value, &AttributePath::root()).expect("round trip"),
            outer
        );
    }

    #[test]
    fn normalisation_reaches_into_groups_and_stops_at_the_first_error() {
        let outer = |value: &str| Outer {
            path: "p".into(),
            group: Group {
                value: Some(value.into()),
                diags: None,
            },
        };
        let at = AttributePath::attribute("result").then_index(2);
        let normalized = outer("quiet").normalized(&at).expect("valid");
        assert_eq!(normalized.group.value.as_deref(), Some("QUIET"));
        let err = outer("bad").normalized(&at).expect_err("invalid");
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].attribute, Some(at.then_attribute("value")));
    }
}
