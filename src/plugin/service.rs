//! The version-neutral core of the server: decodes values against schemas,
//! runs validation, configuration and reads, and turns every failure into
//! diagnostics. Protocol adapters call into this (and guard every call
//! against panics: see `adapter.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::plugin::codec::{json, msgpack};
use crate::plugin::cty::Type;
use crate::plugin::cty::Value;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::provider::{check_type_names, ConfigureRequest, ErasedDataSource, Provider};
use crate::plugin::schema::Schema;

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
            json::decode(self.json, ty)
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
    /// Builds the service and every schema once, for the life of the
    /// process; refuses a provider whose data source type names lack its
    /// prefix or repeat (see [`check_type_names`]).
    pub fn new(provider: P) -> Result<Self, String> {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let entries = provider.data_sources().into_entries();
        check_type_names(
            provider.type_name(),
            entries.iter().map(|entry| entry.type_name()),
        )?;
        let data_sources = entries
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
        Ok(Self {
            provider,
            provider_schema,
            provider_type,
            data_sources,
            context: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        })
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
        // Terraform has already shown validation warnings from
        // ValidateProviderConfig; only errors need repeating here, since
        // configuration must not proceed with them.
        let mut checks = self.provider_schema.validate(&value);
        checks.extend(self.provider.validate_config(&value));
        if checks.has_errors() {
            return Diagnostics(checks.into_iter().filter(Diagnostic::is_error).collect());
        }
        let mut diags = Diagnostics::new();
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

    /// Reads a data source. Cancelled by [`stop`](Self::stop).
    pub async fn read_data_source(&self, type_name: &str, config: DynamicInput<'_>) -> ReadOutcome {
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
        let read = async {
            let read = entry.data_source.read(&context, &value).await?;
            match msgpack::encode(&read.state, &entry.value_type) {
                Ok(state) => Ok((state, read.warnings)),
                Err(e) => {
                    let mut diags = read.warnings;
                    diags.push(Diagnostic::error(
                        "Provider produced an invalid state",
                        format!("The provider could not encode the state of {type_name}: {e}. This is a bug in the provider; please report it."),
                    ));
                    Err(diags)
                }
            }
        };
        let result = tokio::select! {
            result = read => result,
            () = cancel.cancelled() => Err(Diagnostic::error(
                "Read cancelled",
                format!("Reading {type_name} was cancelled because Terraform asked the provider to stop (for example after Ctrl-C). Run the command again to read it."),
            )
            .into()),
        };
        tracing::debug!(
            succeeded = result.is_ok(),
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Read data source"
        );
        match result {
            Ok((state, warnings)) => {
                diags.extend(warnings);
                ReadOutcome {
                    state: Some(state),
                    diagnostics: diags,
                }
            }
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
                    "This provider has no data source named {:?}. It serves: {}.",
                    type_name.chars().take(100).collect::<String>(),
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::plugin::provider::{DataSource, DataSources, Read};
    use crate::plugin::TfObject;

    /// What the test data source reads.
    #[derive(Debug, Clone, PartialEq, TfObject)]
    struct Probe {
        /// `warn`, `sleep`, or a text to echo.
        #[tf(required)]
        mode: String,
        /// The echoed text.
        #[tf(computed)]
        result: Option<String>,
    }

    struct ProbeDataSource;

    /// Registered under a name outside the provider's prefix.
    struct Stray;

    #[async_trait]
    impl DataSource<()> for Stray {
        type Model = Probe;

        const TYPE_NAME: &'static str = "other_probe";
        const DESCRIPTION: &'static str = "Belongs to no provider here.";

        async fn read(&self, _context: &(), config: Probe) -> Result<Read<Probe>, Diagnostics> {
            Ok(Read::new(config))
        }
    }

    #[async_trait]
    impl DataSource<()> for ProbeDataSource {
        type Model = Probe;

        const TYPE_NAME: &'static str = "test_probe";
        const DESCRIPTION: &'static str = "Warns, sleeps or echoes, as told.";

        async fn read(&self, _context: &(), config: Probe) -> Result<Read<Probe>, Diagnostics> {
            match config.mode.as_str() {
                "warn" => Ok(Read {
                    state: config,
                    warnings: Diagnostic::warning("Slow read", "It waited.").into(),
                }),
                "sleep" => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Ok(Read::new(config))
                }
                text => Ok(Read::new(Probe {
                    result: Some(text.to_string()),
                    mode: config.mode.clone(),
                })),
            }
        }
    }

    /// A provider for tests; `registered` lists the data sources it serves.
    struct TestProvider {
        registered: fn() -> DataSources<()>,
    }

    const TEST_PROVIDER: TestProvider = TestProvider {
        registered: || DataSources::new().with(ProbeDataSource),
    };

    #[async_trait]
    impl Provider for TestProvider {
        type Context = ();

        fn type_name(&self) -> &'static str {
            "test"
        }

        fn schema(&self) -> Schema {
            Schema::new("A provider for tests.", Vec::new())
        }

        fn data_sources(&self) -> DataSources<()> {
            (self.registered)()
        }

        async fn configure(&self, _request: ConfigureRequest) -> Result<(), Diagnostics> {
            Ok(())
        }
    }

    async fn configured() -> Arc<ProviderService<TestProvider>> {
        let service = Arc::new(ProviderService::new(TEST_PROVIDER).expect("valid names"));
        let diags = service
            .configure("1.11.4".to_string(), DynamicInput::default())
            .await;
        assert!(diags.is_empty(), "{diags:?}");
        service
    }

    fn probe(mode: &str) -> Vec<u8> {
        let ty = Schema::new("", Probe::attributes()).value_type();
        let value = Value::Object(
            [
                ("mode".to_string(), Value::from(mode)),
                ("result".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        );
        msgpack::encode(&value, &ty).expect("encode probe config")
    }

    async fn read(service: &ProviderService<TestProvider>, mode: &str) -> ReadOutcome {
        let config = probe(mode);
        service
            .read_data_source(
                "test_probe",
                DynamicInput {
                    msgpack: &config,
                    json: &[],
                },
            )
            .await
    }

    #[tokio::test]
    async fn warnings_travel_beside_the_state() {
        let service = configured().await;
        let warned = read(&service, "warn").await;
        assert!(warned.state.is_some());
        assert_eq!(warned.diagnostics.0.len(), 1);
        assert_eq!(warned.diagnostics.0[0].summary, "Slow read");
        assert!(!warned.diagnostics.has_errors());
        let echoed = read(&service, "hello").await;
        assert!(echoed.diagnostics.is_empty(), "{:?}", echoed.diagnostics);
    }

    #[test]
    fn duplicate_or_unprefixed_type_names_stop_the_service_being_built() {
        let twice = TestProvider {
            registered: || {
                DataSources::new()
                    .with(ProbeDataSource)
                    .with(ProbeDataSource)
            },
        };
        let err = ProviderService::new(twice).err().expect("a duplicate name");
        assert!(err.contains("\"test_probe\""), "{err}");
        let stray = TestProvider {
            registered: || DataSources::new().with(ProbeDataSource).with(Stray),
        };
        let err = ProviderService::new(stray)
            .err()
            .expect("an unprefixed name");
        assert!(
            err.contains("\"other_probe\"") && err.contains("\"test_\""),
            "{err}"
        );
    }

    #[tokio::test]
    async fn stop_cancels_reads_in_flight_and_later_reads_still_work() {
        let service = configured().await;
        let sleeper = {
            let service = Arc::clone(&service);
            tokio::spawn(async move { read(&service, "sleep").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stopped = Instant::now();
        service.stop();
        let cancelled = sleeper.await.expect("read task");
        assert!(stopped.elapsed() < Duration::from_millis(100));
        assert!(cancelled.state.is_none());
        assert_eq!(cancelled.diagnostics.0[0].summary, "Read cancelled");

        let echoed = read(&service, "again").await;
        assert!(echoed.diagnostics.is_empty(), "{:?}", echoed.diagnostics);
        assert!(echoed.state.is_some());
    }
}
