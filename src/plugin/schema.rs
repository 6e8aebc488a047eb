//! Version-neutral schemas: what a provider or data source accepts and returns.
//!
//! Protocol adapters translate these into tfplugin5 or tfplugin6 messages; the
//! value types they imply drive the DynamicValue codec.

use std::fmt;
use std::sync::Arc;

use crate::plugin::cty::Type;
use crate::plugin::cty::Value;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::path::AttributePath;

/// How a nested attribute holds its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// Exactly one object (or null).
    Single,
    /// An ordered list of objects.
    List,
    /// A set of objects.
    Set,
    /// A map of objects by string key.
    Map,
}

/// Who supplies an attribute's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The configuration must set it.
    Required,
    /// The configuration may set it.
    Optional,
    /// The provider sets it.
    Computed,
    /// The configuration may set it; otherwise the provider does.
    OptionalComputed,
}

/// The shape of an attribute's value.
#[derive(Debug, Clone)]
pub enum AttributeKind {
    /// A value of a plain cty type.
    Typed(Type),
    /// Objects with attributes of their own (protocol 6 nested attributes; an object type on protocol 5).
    Nested {
        /// How the objects are held.
        nesting: Nesting,
        /// The attributes of each object.
        attributes: Vec<Attribute>,
    },
}

/// A check on one attribute's value, declared next to the attribute.
///
/// Validators only ever see known, non-null values: unknown values cannot be
/// checked yet and must never fail validation.
pub trait Validator: Send + Sync {
    /// A sentence describing the rule, for documentation.
    fn description(&self) -> String;
    /// Checks a known, non-null value; returns the problems found.
    fn validate(&self, value: &Value, path: &AttributePath) -> Diagnostics;
}

/// One attribute of a schema.
#[derive(Clone)]
pub struct Attribute {
    /// The attribute's name in configuration.
    pub name: String,
    /// Its type, or its nested attributes.
    pub kind: AttributeKind,
    /// Markdown description shown in docs and editors.
    pub description: String,
    /// Who supplies the value.
    pub mode: Mode,
    /// Whether Terraform must hide the value in its output.
    pub sensitive: bool,
    /// A deprecation message, when the attribute is deprecated.
    pub deprecation: Option<String>,
    /// Checks applied at validation time.
    pub validators: Vec<Arc<dyn Validator>>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("mode", &self.mode)
            .field("sensitive", &self.sensitive)
            .field("validators", &self.validators.len())
            .finish()
    }
}

impl Attribute {
    /// A new attribute of the given kind; optional until told otherwise.
    pub fn new(name: impl Into<String>, kind: AttributeKind) -> Self {
        Self {
            name: name.into(),
            kind,
            description: String::new(),
            mode: Mode::Optional,
            sensitive: false,
            deprecation: None,
            validators: Vec::new(),
        }
    }

    /// Marks the attribute as required.
    pub fn required(mut self) -> Self {
        self.mode = Mode::Required;
        self
    }

    /// Marks the attribute as optional.
    pub fn optional(mut self) -> Self {
        self.mode = Mode::Optional;
        self
    }

    /// Marks the attribute as computed by the provider.
    pub fn computed(mut self) -> Self {
        self.mode = Mode::Computed;
        self
    }

    /// Marks the attribute as optional, computed when unset.
    pub fn optional_computed(mut self) -> Self {
        self.mode = Mode::OptionalComputed;
        self
    }

    /// Marks the attribute as sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Sets the description.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a validator.
    pub fn validate(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// Marks the attribute as deprecated.
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation = Some(message.into());
        self
    }

    /// The cty type of this attribute's value.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Typed(ty) => ty.clone(),
            AttributeKind::Nested {
                nesting,
                attributes,
            } => {
                let object = object_type(attributes);
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => Type::list(object),
                    Nesting::Set => Type::set(object),
                    Nesting::Map => Type::map(object),
                }
            }
        }
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if self.mode == Mode::Required && value.is_null() {
            diags.push(missing_required(path));
            return;
        }
        if !value.is_known() || value.is_null() {
            return;
        }
        for validator in &self.validators {
            diags.extend(validator.validate(value, path));
        }
        if let AttributeKind::Nested {
            nesting,
            attributes,
        } = &self.kind
        {
            match (nesting, value) {
                (Nesting::Single, Value::Object(_)) => {
                    check_attributes(attributes, value, path, diags)
                }
                (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
                    for (index, item) in items.iter().enumerate() {
                        let index = i64::try_from(index).unwrap_or(i64::MAX);
                        check_attributes(attributes, item, &path.then_index(index), diags);
                    }
                }
                (Nesting::Map, Value::Map(items)) => {
                    for (key, item) in items {
                        check_attributes(attributes, item, &path.then_key(key), diags);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The error for a required argument whose value is null: the user's input
/// (often a variable left null), never a provider bug.
pub(super) fn missing_required(path: &AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Missing required argument",
        format!("The argument \"{path}\" is required, but its value is null. Set it to a value; if it comes from a variable, give that variable a value that is not null."),
    )
    .at(path.clone())
}

fn object_type(attributes: &[Attribute]) -> Type {
    Type::object(attributes.iter().map(|a| (a.name.clone(), a.value_type())))
}

fn check_attributes(
    attributes: &[Attribute],
    object: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if !object.is_known() || object.is_null() {
        return;
    }
    for attribute in attributes {
        if let Some(value) = object.attribute(&attribute.name) {
            attribute.check(value, &path.then_attribute(&attribute.name), diags);
        }
    }
}

/// The top-level block of a schema: its attributes and description.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// The attributes, in declaration order.
    pub attributes: Vec<Attribute>,
    /// Markdown description of the whole block.
    pub description: String,
    /// A deprecation message, when the whole block is deprecated.
    pub deprecation: Option<String>,
}

/// A provider's or data source's schema.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Schema version (only meaningful for resources; data sources use 0).
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A version-0 schema with these attributes and description.
    pub fn new(description: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self {
            version: 0,
            block: Block {
                attributes,
                description: description.into(),
                deprecation: None,
            },
        }
    }

    /// The object type of values of this schema (what DynamicValues encode).
    pub fn value_type(&self) -> Type {
        object_type(&self.block.attributes)
    }

    /// Runs every attribute validator over a configuration that may hold unknowns.
    pub fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check_attributes(
            &self.block.attributes,
            config,
            &AttributePath::root(),
            &mut diags,
        );
        diags
    }

    /// Looks up a top-level attribute.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.block.attributes.iter().find(|a| a.name == name)
    }
}

/// The check a [`StringRule`] runs: `Err` carries the diagnostic's detail.
pub(super) type StringCheck = dyn Fn(&str) -> Result<(), String> + Send + Sync;

/// A reusable validator for strings, built from a rule closure.
pub struct StringRule {
    description: String,
    rule: Box<StringCheck>,
    summary: &'static str,
}

impl StringRule {
    /// A validator that reports `summary` with the rule's message as detail when `rule` fails.
    pub fn new(
        summary: &'static str,
        description: impl Into<String>,
        rule: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            description: description.into(),
            rule: Box::new(rule),
            summary,
        }
    }
}

impl Validator for StringRule {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttributePath) -> Diagnostics {
        let Some(text) = value.as_str() else {
            return Diagnostics::new();
        };
        Diagnostics::from_check((self.rule)(text), self.summary, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::new(
            "",
            vec![
                Attribute::new("id", AttributeKind::Typed(Type::String)).required(),
                Attribute::new("note", AttributeKind::Typed(Type::String)).optional(),
            ],
        )
    }

    fn object(id: Value, note: Value) -> Value {
        Value::Object([("id".to_string(), id), ("note".to_string(), note)].into())
    }

    #[test]
    fn a_null_required_argument_is_the_users_error_at_the_attribute() {
        let diags = schema().validate(&object(Value::Null, Value::Null));
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        let diag = &diags.0[0];
        assert_eq!(diag.summary, "Missing required argument");
        assert_eq!(diag.attribute, Some(AttributePath::attribute("id")));
        assert!(
            diag.detail.contains("\"id\" is required"),
            "{}",
            diag.detail
        );
        assert!(!diag.detail.contains("bug"), "{}", diag.detail);
    }

    #[test]
    fn unknown_and_set_values_pass_and_optional_nulls_are_fine() {
        assert!(schema()
            .validate(&object(Value::unknown(), Value::Null))
            .is_empty());
        assert!(schema()
            .validate(&object(Value::from("x"), Value::Null))
            .is_empty());
    }
}
