//! The version-neutral provider API: what a provider and its data sources
//! implement, with no knowledge of protocol versions or the wire.

use async_trait::async_trait;

use crate::plugin::cty::Value;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::model::TfObject;
use crate::plugin::path::AttributePath;
use crate::plugin::schema::Schema;

/// What Terraform sends when it configures the provider.
#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    /// The Terraform CLI version, e.g. `1.11.4`.
    pub terraform_version: String,
    /// The provider configuration; during planning it may hold unknown values.
    pub config: Value,
}

/// A provider: its configuration schema, how it is configured, and its data sources.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The state shared by every read once the provider is configured (an API client, say).
    type Context: Send + Sync + 'static;

    /// The provider's type name, the prefix of its data source names (`example` in `example_thing`).
    fn type_name(&self) -> &'static str;

    /// The provider configuration schema.
    fn schema(&self) -> Schema;

    /// Every data source the provider serves.
    fn data_sources(&self) -> DataSources<Self::Context>;

    /// Checks the provider configuration beyond per-attribute validators (which run anyway).
    /// The configuration may hold unknown values, which must never fail validation.
    fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds the shared context from the configuration.
    async fn configure(&self, request: ConfigureRequest) -> Result<Self::Context, Diagnostics>;
}

/// A data source written against a typed model.
#[async_trait]
pub trait DataSource<C>: Send + Sync + 'static {
    /// The model: arguments and computed attributes in one struct.
    type Model: TfObject + Send + Sync + 'static;

    /// The full type name, e.g. `example_thing`.
    const TYPE_NAME: &'static str;

    /// Markdown description of the data source.
    const DESCRIPTION: &'static str;

    /// Checks the configuration beyond per-attribute validators and the
    /// model's own checks (which run anyway). The configuration may hold
    /// unknown values, which must never fail validation.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data: takes the configured arguments and returns the whole
    /// model with the warnings met on the way. The errors of a failed read
    /// come with any warnings met before it failed.
    async fn read(
        &self,
        context: &C,
        config: Self::Model,
    ) -> Result<Read<Self::Model>, Diagnostics>;
}

/// What a successful read returns: the state, and warnings for the user
/// beside it (a read that waited long, a list that may be incomplete), as
/// terraform-plugin-framework's read response carries diagnostics beside
/// the state.
#[derive(Debug, Clone, PartialEq)]
pub struct Read<M> {
    /// The whole model: the arguments as configured and what was read.
    pub state: M,
    /// Warnings only; an error fails the read instead.
    pub warnings: Diagnostics,
}

impl<M> Read<M> {
    /// A read that met nothing worth a warning.
    pub fn new(state: M) -> Self {
        Self {
            state,
            warnings: Diagnostics::new(),
        }
    }
}

/// A data source with its model erased, so data sources of different models share one registry.
#[async_trait]
pub trait ErasedDataSource<C>: Send + Sync {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The schema, derived from the model.
    fn schema(&self) -> Schema;
    /// Extra validation of a configuration that may hold unknowns.
    fn validate(&self, config: &Value) -> Diagnostics;
    /// Reads from a wholly known configuration value; returns the state value and its warnings.
    async fn read(&self, context: &C, config: &Value) -> Result<Read<Value>, Diagnostics>;
}

#[async_trait]
impl<C, D> ErasedDataSource<C> for D
where
    C: Send + Sync + 'static,
    D: DataSource<C>,
{
    fn type_name(&self) -> &'static str {
        D::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(D::DESCRIPTION, D::Model::attributes())
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = D::Model::check(config);
        diags.extend(DataSource::validate(self, config));
        diags
    }

    async fn read(&self, context: &C, config: &Value) -> Result<Read<Value>, Diagnostics> {
        let model = D::Model::from_attributes(config, &AttributePath::root())?;
        let read = DataSource::read(self, context, model).await?;
        Ok(Read {
            state: Value::Object(read.state.to_attributes()),
            warnings: read.warnings,
        })
    }
}

/// The registry of a provider's data sources.
pub struct DataSources<C> {
    entries: Vec<Box<dyn ErasedDataSource<C>>>,
}

impl<C: Send + Sync + 'static> DataSources<C> {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Adds a data source: the one line each new data source needs. Type
    /// names are checked when the provider starts (see [`check_type_names`]).
    pub fn with(mut self, data_source: impl DataSource<C>) -> Self {
        self.entries.push(Box::new(data_source));
        self
    }

    /// Consumes the registry into its entries.
    pub fn into_entries(self) -> Vec<Box<dyn ErasedDataSource<C>>> {
        self.entries
    }
}

impl<C: Send + Sync + 'static> Default for DataSources<C> {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks the type names a provider serves before it starts: each data
/// source's name is the provider's type name, an underscore and more (what
/// Terraform takes as the provider of a `data` block), and no two are the
/// same (the second would silently hide the first).
pub(crate) fn check_type_names<'a>(
    provider: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    let prefix = format!("{provider}_");
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if name.len() <= prefix.len() || !name.starts_with(&prefix) {
            return Err(format!(
                "the data source type name {name:?} does not start with {prefix:?}, the provider's type name and an underscore; Terraform would look for it in another provider"
            ));
        }
        if !seen.insert(name) {
            return Err(format!(
                "two data sources are registered under the type name {name:?}; give each its own"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_need_the_prefix_and_must_differ() {
        assert!(check_type_names("example", ["example_a", "example_b"]).is_ok());
        let twice = check_type_names("example", ["example_a", "example_a"]).unwrap_err();
        assert!(
            twice.contains("two data sources") && twice.contains("example_a"),
            "{twice}"
        );
        for bad in ["other_a", "example", "example_", "exampleish_a"] {
            let err = check_type_names("example", [bad]).unwrap_err();
            assert!(
                err.contains("does not start with \"example_\""),
                "{bad}: {err}"
            );
        }
    }
}
