//! Typed models: one Rust definition gives both a schema and the conversion of
//! values to and from it, so the two cannot disagree.
//!
//! A model is declared with [`tf_object!`](crate::plugin::tf_object): each field's Rust
//! type fixes its Terraform type, its doc comment becomes the attribute's
//! description, and the builder calls after `=>` set its mode, sensitivity and
//! validators.

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
        match self {
            Some(inner) => inner.to_value(),
            None => Value::Null,
        }
    }
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostics> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other, path).map(Some),
        }
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

/// Reads one attribute of an object value for a generated [`TfObject`] impl.
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

/// Declares a struct as a Terraform object model.
///
/// ```ignore
/// tf_object! {
///     /// A thing.
///     pub struct Thing {
///         /// The thing's identifier.
///         id: String => required().validate(some_rule()),
///         /// When it was made.
///         created_on: Option<String> => computed(),
///     }
/// }
/// ```
macro_rules! tf_object {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty => $mode:ident ( ) $( . $method:ident ( $($arg:expr),* ) )*
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $vis $field: $ty,
            )*
        }

        impl $crate::plugin::TfObject for $name {
            fn attributes() -> Vec<$crate::plugin::Attribute> {
                vec![$(
                    $crate::plugin::Attribute::new(
                        stringify!($field),
                        $crate::plugin::kind_of::<$ty>(),
                    )
                    .describe($crate::plugin::doc_text(&[$($doc),*]))
                    .$mode()
                    $( .$method($($arg),*) )*
                ),*]
            }

            fn to_attributes(&self) -> ::std::collections::BTreeMap<String, $crate::plugin::Value> {
                let mut out = ::std::collections::BTreeMap::new();
                $(
                    out.insert(
                        stringify!($field).to_string(),
                        $crate::plugin::TfValue::to_value(&self.$field),
                    );
                )*
                out
            }

            fn from_attributes(
                value: &$crate::plugin::Value,
                path: &$crate::plugin::AttributePath,
            ) -> Result<Self, $crate::plugin::Diagnostics> {
                $crate::plugin::expect_object(value, path)?;
                let mut diags = $crate::plugin::Diagnostics::new();
                $(
                    let $field = $crate::plugin::field::<$ty>(value, stringify!($field), path, &mut diags);
                )*
                match ($($field,)*) {
                    ($(Some($field),)*) if !diags.has_errors() => Ok(Self { $($field),* }),
                    _ => Err(diags),
                }
            }
        }

        impl $crate::plugin::TfValue for $name {
            fn tf_type() -> $crate::plugin::Type {
                $crate::plugin::Type::object(
                    <Self as $crate::plugin::TfObject>::attributes()
                        .iter()
                        .map(|a| (a.name.clone(), a.value_type())),
                )
            }

            fn nested() -> Option<($crate::plugin::Nesting, Vec<$crate::plugin::Attribute>)> {
                Some((
                    $crate::plugin::Nesting::Single,
                    <Self as $crate::plugin::TfObject>::attributes(),
                ))
            }

            fn to_value(&self) -> $crate::plugin::Value {
                $crate::plugin::Value::Object(
                    <Self as $crate::plugin::TfObject>::to_attributes(self),
                )
            }

            fn from_value(
                value: &$crate::plugin::Value,
                path: &$crate::plugin::AttributePath,
            ) -> Result<Self, $crate::plugin::Diagnostics> {
                <Self as $crate::plugin::TfObject>::from_attributes(value, path)
            }
        }
    };
}

pub(crate) use tf_object;
