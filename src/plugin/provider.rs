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

    /// Checks the configuration beyond per-attribute validators (which run anyway).
    /// The configuration may hold unknown values, which must never fail validation.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data: takes the configured arguments and returns the whole model.
    async fn read(&self, context: &C, config: Self::Model) -> Result<Self::Model, Diagnostics>;
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
    /// Reads from a wholly known configuration value; returns the state value.
    async fn read(&self, context: &C, config: &Value) -> Result<Value, Diagnostics>;
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
        DataSource::validate(self, config)
    }

    async fn read(&self, context: &C, config: &Value) -> Result<Value, Diagnostics> {
        let model = D::Model::from_attributes(config, &AttributePath::root())?;
        let state = DataSource::read(self, context, model).await?;
        Ok(Value::Object(state.to_attributes()))
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

    /// Adds a data source: the one line each new data source needs.
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
