//! The version-neutral core of the server: decodes values against schemas,
//! runs validation, configuration and reads, and turns every failure (and any
//! panic) into diagnostics. Protocol adapters call into this.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::provider::{ConfigureRequest, ErasedDataSource, Provider};
use crate::plugin::schema::Schema;
use crate::plugin::types::Type;
use crate::plugin::value::Value;
use crate::plugin::{json_value, msgpack};

/// A DynamicValue as it arrives: msgpack, JSON, or neither.
#[derive(Debug, Clone, Copy, Default)]
pub struct DynamicInput<'a> {
    /// The msgpack encoding, if Terraform sent one.
    pub msgpack: &'a [u8],
    /// The JSON encoding, if Terraform sent one.
    pub json: &'a [u8],
}

impl DynamicInput<'_> {
    /// Decodes the value against the type; reports a diagnostic pointing at the bad attribute.
    pub fn decode(&self, ty: &Type) -> Result<Value, Diagnostic> {
        let result = if !self.msgpack.is_empty() {
            msgpack::decode(self.msgpack, ty)
        } else if !self.json.is_empty() {
            json_value::decode(self.json, ty)
        } else {
            return Ok(Value::Null);
        };
        result.map_err(|e| {
            let diag = Diagnostic::error(
                "Invalid value from Terraform",
                format!(
                    "The provider could not decode a value Terraform sent ({e}). This usually means the Terraform version in use is not compatible with this provider build; please report it with your Terraform version."
                ),
            );
            if e.path.is_root() {
                diag
            } else {
                diag.at(e.path)
            }
        })
    }
}

/// The outcome of reading a data source: the encoded state (when the read succeeded) and diagnostics.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// The new state, msgpack-encoded against the data source's schema.
    pub state: Option<Vec<u8>>,
    /// Problems and warnings.
    pub diagnostics: Diagnostics,
}

struct DataSourceEntry<C> {
    data_source: Box<dyn ErasedDataSource<C>>,
    schema: Schema,
    value_type: Type,
}

/// One provider served to Terraform, whatever the protocol version.
pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    data_sources: BTreeMap<&'static str, DataSourceEntry<P::Context>>,
    context: RwLock<Option<Arc<P::Context>>>,
    stop: Mutex<CancellationToken>,
}

impl<P: Provider> ProviderService<P> {
    /// Builds the service and every schema once, for the life of the process.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let data_sources = provider
            .data_sources()
            .into_entries()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let value_type = schema.value_type();
                (
                    data_source.type_name(),
                    DataSourceEntry {
                        data_source,
                        schema,
                        value_type,
                    },
                )
            })
            .collect();
        Self {
            provider,
            provider_schema,
            provider_type,
            data_sources,
            context: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    /// The provider's type name.
    pub fn type_name(&self) -> &'static str {
        self.provider.type_name()
    }

    /// The provider configuration schema.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// Every data source schema by type name.
    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.data_sources
            .iter()
            .map(|(name, entry)| (*name, &entry.schema))
    }

    /// Validates a provider configuration, which may hold unknowns.
    pub fn validate_provider_config(&self, config: DynamicInput<'_>) -> Diagnostics {
        let value = match config.decode(&self.provider_type) {
            Ok(value) => value,
            Err(diag) => return diag.into(),
        };
        let mut diags = self.provider_schema.validate(&value);
        diags.extend(self.provider.validate_config(&value));
        diags
    }

    /// Configures the provider; later reads in this process use the result.
    pub async fn configure(
        &self,
        terraform_version: String,
        config: DynamicInput<'_>,
    ) -> Diagnostics {
        let value = match config.decode(&self.provider_type) {
            Ok(value) => value,
            Err(diag) => return diag.into(),
        };
        let mut diags = self.provider_schema.validate(&value);
        diags.extend(self.provider.validate_config(&value));
        if diags.has_errors() {
            return diags;
        }
        match self
            .provider
            .configure(ConfigureRequest {
                terraform_version,
                config: value,
            })
            .await
        {
            Ok(context) => {
                if let Ok(mut slot) = self.context.write() {
                    *slot = Some(Arc::new(context));
                }
            }
            Err(more) => diags.extend(more),
        }
        diags
    }

    /// Validates a data source configuration, which may hold unknowns.
    pub fn validate_data_source(&self, type_name: &str, config: DynamicInput<'_>) -> Diagnostics {
        let entry = match self.entry(type_name) {
            Ok(entry) => entry,
            Err(diag) => return diag.into(),
        };
        let value = match config.decode(&entry.value_type) {
            Ok(value) => value,
            Err(diag) => return diag.into(),
        };
        let mut diags = entry.schema.validate(&value);
        diags.extend(entry.data_source.validate(&value));
        diags
    }

    /// Reads a data source. Cancelled by [`stop`](Self::stop); a panic becomes a diagnostic.
    pub async fn read_data_source(
        self: &Arc<Self>,
        type_name: &str,
        config: DynamicInput<'_>,
    ) -> ReadOutcome {
        let started = Instant::now();
        let entry = match self.entry(type_name) {
            Ok(entry) => entry,
            Err(diag) => return outcome(diag.into()),
        };
        let value = match config.decode(&entry.value_type) {
            Ok(value) => value,
            Err(diag) => return outcome(diag.into()),
        };
        let mut diags = entry.schema.validate(&value);
        diags.extend(entry.data_source.validate(&value));
        if diags.has_errors() {
            return outcome(diags);
        }
        if !value.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Configuration not known yet",
                format!("Terraform asked to read {type_name} before all of its arguments were known. Please report this with your Terraform version."),
            ));
            return outcome(diags);
        }
        let Some(context) = self.context.read().ok().and_then(|slot| slot.clone()) else {
            diags.push(Diagnostic::error(
                "Provider not configured",
                format!("Terraform asked to read {type_name} before configuring the provider in this process. Please report this with your Terraform version."),
            ));
            return outcome(diags);
        };
        let cancel = self.cancellation();
        let service = Arc::clone(self);
        let name = type_name.to_string();
        let task = tokio::spawn(async move {
            let Some(entry) = service.data_sources.get(name.as_str()) else {
                return Err(Diagnostics::new());
            };
            let read = entry.data_source.read(&context, &value);
            tokio::select! {
                result = read => result.and_then(|state| {
                    msgpack::encode(&state, &entry.value_type).map_err(|e| {
                        Diagnostic::error(
                            "Provider produced an invalid state",
                            format!("The provider could not encode the state of {name}: {e}. This is a bug in the provider; please report it."),
                        )
                        .into()
                    })
                }),
                () = cancel.cancelled() => Err(Diagnostic::error(
                    "Read cancelled",
                    format!("Reading {name} was cancelled because Terraform asked the provider to stop (for example after Ctrl-C). Run the command again to read it."),
                )
                .into()),
            }
        });
        let result = match task.await {
            Ok(result) => result,
            Err(join_error) => Err(Diagnostic::error(
                "Provider bug while reading",
                format!(
                    "The provider failed unexpectedly while reading {type_name} ({}). The Terraform run can continue, but this is a bug; please report it with the provider's log (TF_LOG_PROVIDER=debug).",
                    if join_error.is_panic() { "a panic" } else { "the task was aborted" }
                ),
            )
            .into()),
        };
        tracing::debug!(
            tf_data_source_type = type_name,
            tf_req_duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "read data source"
        );
        match result {
            Ok(state) => ReadOutcome {
                state: Some(state),
                diagnostics: diags,
            },
            Err(more) => {
                diags.extend(more);
                outcome(diags)
            }
        }
    }

    /// Cancels every read in flight; later reads proceed normally.
    pub fn stop(&self) {
        if let Ok(mut token) = self.stop.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
    }

    fn cancellation(&self) -> CancellationToken {
        match self.stop.lock() {
            Ok(token) => token.clone(),
            Err(_) => CancellationToken::new(),
        }
    }

    fn entry(&self, type_name: &str) -> Result<&DataSourceEntry<P::Context>, Diagnostic> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!(
                    "This provider has no data source named \"{type_name}\". It serves: {}.",
                    self.data_sources
                        .keys()
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }
}

fn outcome(diagnostics: Diagnostics) -> ReadOutcome {
    ReadOutcome {
        state: None,
        diagnostics,
    }
}
