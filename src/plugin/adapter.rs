//! What the protocol adapters (tfplugin5 and tfplugin6) share: the per-RPC
//! wrapper that logs each request and turns a panicking handler into an error
//! diagnostic, the wording for unsupported RPCs, and the macros that write
//! each version's conversions and service implementation from one template,
//! so the two versions differ only where their wire formats do.

use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use tokio_stream::Stream;
use tonic::{Response, Status};
use tracing::Instrument;

use crate::plugin::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::plugin::panics;
use crate::plugin::schema::Mode;

/// The diagnostic for an RPC this provider does not implement (resources,
/// functions, ...): an error that names the RPC, never a gRPC failure.
pub fn unsupported(rpc: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{rpc} is not supported"),
        format!("This provider only serves data sources; it has no {what}. Check that the configuration uses a data block and the right provider."),
    )
}

/// The diagnostic for a handler that panicked: the run can go on, the bug gets reported.
pub fn panicked(rpc: &str, message: &str) -> Diagnostic {
    Diagnostic::error(
        "Provider bug",
        format!("The provider failed unexpectedly while handling {rpc} ({message}). It recovered and keeps serving, but this is a bug; please report it with the provider's log (TF_LOG_PROVIDER=debug)."),
    )
}

/// The `required`, `optional` and `computed` flags of an attribute, as both protocols spell them.
pub fn mode_flags(mode: Mode) -> (bool, bool, bool) {
    (
        mode == Mode::Required,
        matches!(mode, Mode::Optional | Mode::OptionalComputed),
        matches!(mode, Mode::Computed | Mode::OptionalComputed),
    )
}

/// A protocol reply that carries diagnostics, so the shared wrapper can log
/// them and build a reply from a diagnostic when the handler panicked.
pub trait Reply: Sized + Send {
    /// A reply holding nothing but `diagnostics`.
    fn from_diagnostics(diagnostics: Diagnostics) -> Self;
    /// Severity and summary of each diagnostic in the reply.
    fn logged(&self) -> Vec<(Severity, &str)>;
}

/// Which request is being served, for the log.
#[derive(Debug, Clone)]
pub struct Call {
    /// The protocol version, e.g. `6.10`.
    pub protocol: &'static str,
    /// The RPC name as the protocol spells it, e.g. `ReadDataSource`.
    pub rpc: &'static str,
    /// The data source type the request is about, if any.
    pub data_source: Option<String>,
}

impl Call {
    /// A request for `rpc` under protocol `protocol`.
    pub fn new(protocol: &'static str, rpc: &'static str) -> Self {
        Self {
            protocol,
            rpc,
            data_source: None,
        }
    }

    /// The same request, about data source `type_name`.
    pub fn data_source(mut self, type_name: &str) -> Self {
        self.data_source = Some(type_name.to_string());
        self
    }
}

/// Serves one RPC: runs `handler` inside a span carrying `tf_rpc`,
/// `tf_req_id`, `tf_proto_version` and `tf_data_source_type`, logs
/// "Received request" / "Served request" (with `tf_req_duration_ms`) at TRACE
/// and the reply's diagnostics at DEBUG (WARN for errors), and answers a
/// panicking handler with an error diagnostic instead of dying.
pub async fn answer<R: Reply>(
    call: Call,
    handler: impl Future<Output = R> + Send,
) -> Result<Response<R>, Status> {
    // An error-level span is enabled whenever any logging is, so its fields
    // reach every event inside it whatever level was chosen.
    let span = tracing::error_span!(
        "rpc",
        tf_proto_version = call.protocol,
        tf_rpc = call.rpc,
        tf_req_id = tracing::field::Empty,
        tf_data_source_type = tracing::field::Empty,
    );
    if !span.is_disabled() {
        span.record("tf_req_id", request_id().as_str());
    }
    if let Some(type_name) = &call.data_source {
        span.record("tf_data_source_type", type_name.as_str());
    }
    let rpc = call.rpc;
    async move {
        tracing::trace!("Received request");
        let started = Instant::now();
        let reply = match panics::catch(handler).await {
            Ok(reply) => reply,
            Err(message) => R::from_diagnostics(panicked(rpc, &message).into()),
        };
        log_diagnostics(&reply.logged());
        tracing::trace!(
            tf_req_duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Served request"
        );
        Ok(Response::new(reply))
    }
    .instrument(span)
    .await
}

fn log_diagnostics(diagnostics: &[(Severity, &str)]) {
    if diagnostics.is_empty() {
        return;
    }
    let errors = diagnostics
        .iter()
        .filter(|(severity, _)| *severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    for (severity, summary) in diagnostics {
        let severity = match severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        };
        tracing::debug!(
            diagnostic_severity = severity,
            diagnostic_summary = *summary,
            "Response contains a diagnostic"
        );
    }
    if errors > 0 {
        tracing::warn!(
            diagnostic_error_count = errors,
            diagnostic_warning_count = warnings,
            "Response contains error diagnostics"
        );
    } else {
        tracing::debug!(
            diagnostic_error_count = errors,
            diagnostic_warning_count = warnings,
            "Response contains warning diagnostics"
        );
    }
}

/// A UUID-shaped identifier, unique per request across every provider process
/// of a Terraform run (the hasher keys are random per process).
fn request_id() -> String {
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(Default::default);
    let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
    let high = keys.hash_one((sequence, 0u8));
    let low = keys.hash_one((sequence, 1u8));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | (low >> 48) & 0x3fff,
        low & 0xffff_ffff_ffff
    )
}

/// The boxed stream type of every server-streaming RPC.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Turns an answered single event into the one-event stream a streaming RPC returns.
pub fn one_event<T: Send + 'static>(
    answered: Result<Response<T>, Status>,
) -> Result<Response<EventStream<T>>, Status> {
    answered.map(|response| {
        let stream: EventStream<T> = Box::pin(tokio_stream::once(Ok(response.into_inner())));
        Response::new(stream)
    })
}

/// Implements [`Reply`] for protocol messages, by how each carries diagnostics.
/// Expects this version's `diagnostics` and `wire_severity` functions in scope
/// (written by [`provider_adapter!`]).
#[macro_export]
macro_rules! impl_reply {
    ($pb:ident; diagnostics: $($message:ident),* $(,)?) => {
        $(
            impl $crate::plugin::adapter::Reply for $pb::$message::Response {
                // Some of these messages have only the diagnostics field.
                #[allow(clippy::needless_update)]
                fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                    Self {
                        diagnostics: diagnostics(diags),
                        ..Default::default()
                    }
                }
                fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                    self.diagnostics
                        .iter()
                        .map(|d| (wire_severity(d), d.summary.as_str()))
                        .collect()
                }
            }
        )*
    };
    ($pb:ident; error_text: $message:ident) => {
        impl $crate::plugin::adapter::Reply for $pb::$message::Response {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                Self {
                    error: diags
                        .iter()
                        .map(|d| d.summary.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }
            fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                if self.error.is_empty() {
                    Vec::new()
                } else {
                    vec![($crate::plugin::diagnostics::Severity::Error, self.error.as_str())]
                }
            }
        }
    };
}

/// Writes one protocol version's adapter from the shared template: the
/// conversions to its messages, the `server` constructor, and the whole
/// `Provider` service, where every RPC goes through
/// [`answer`](crate::plugin::adapter::answer) and every RPC a data-source-only
/// provider does not serve answers with a diagnostic naming it.
///
/// Expects `pb` to name the generated module and `attribute` to convert one
/// schema attribute (the place where the versions' schemas differ; it can
/// start from the generated `plain_attribute`). The RPCs
/// renamed between versions are given by name; `methods` holds the ones only
/// this version has, and `unsupported` the version's own unsupported RPCs.
#[macro_export]
macro_rules! provider_adapter {
    (
        pb: $pb:ident,
        protocol: $protocol:literal,
        adapter: $adapter:ident,
        attribute: $attribute:path,
        get_schema: $get_schema:ident = $get_schema_rpc:literal,
        validate_data_source: $validate_ds:ident($validate_ds_msg:ident) = $validate_ds_rpc:literal,
        configure: $configure:ident($configure_msg:ident) = $configure_rpc:literal,
        stop: $stop:ident($stop_msg:ident) = $stop_rpc:literal,
        methods { $($methods:tt)* }
        unsupported { $($unsupported:tt)* }
    ) => {
        $crate::provider_adapter! {
            @expand
            pb: $pb,
            protocol: $protocol,
            adapter: $adapter,
            attribute: $attribute,
            get_schema: $get_schema = $get_schema_rpc,
            validate_data_source: $validate_ds($validate_ds_msg) = $validate_ds_rpc,
            configure: $configure($configure_msg) = $configure_rpc,
            stop: $stop($stop_msg) = $stop_rpc,
            methods { $($methods)* }
            unsupported {
                upgrade_resource_state(upgrade_resource_state) = "UpgradeResourceState", "managed resources";
                upgrade_resource_identity(upgrade_resource_identity) = "UpgradeResourceIdentity", "managed resources";
                read_resource(read_resource) = "ReadResource", "managed resources";
                plan_resource_change(plan_resource_change) = "PlanResourceChange", "managed resources";
                apply_resource_change(apply_resource_change) = "ApplyResourceChange", "managed resources";
                import_resource_state(import_resource_state) = "ImportResourceState", "managed resources";
                move_resource_state(move_resource_state) = "MoveResourceState", "managed resources";
                generate_resource_config(generate_resource_config) = "GenerateResourceConfig", "managed resources";
                validate_ephemeral_resource_config(validate_ephemeral_resource_config) = "ValidateEphemeralResourceConfig", "ephemeral resources";
                open_ephemeral_resource(open_ephemeral_resource) = "OpenEphemeralResource", "ephemeral resources";
                renew_ephemeral_resource(renew_ephemeral_resource) = "RenewEphemeralResource", "ephemeral resources";
                close_ephemeral_resource(close_ephemeral_resource) = "CloseEphemeralResource", "ephemeral resources";
                validate_list_resource_config(validate_list_resource_config) = "ValidateListResourceConfig", "list resources";
                plan_action(plan_action) = "PlanAction", "actions";
                validate_action_config(validate_action_config) = "ValidateActionConfig", "actions";
                $($unsupported)*
            }
        }
    };
    (
        @expand
        pb: $pb:ident,
        protocol: $protocol:literal,
        adapter: $adapter:ident,
        attribute: $attribute:path,
        get_schema: $get_schema:ident = $get_schema_rpc:literal,
        validate_data_source: $validate_ds:ident($validate_ds_msg:ident) = $validate_ds_rpc:literal,
        configure: $configure:ident($configure_msg:ident) = $configure_rpc:literal,
        stop: $stop:ident($stop_msg:ident) = $stop_rpc:literal,
        methods { $($methods:tt)* }
        unsupported { $( $method:ident($message:ident) = $rpc:literal, $what:literal; )* }
    ) => {
        /// The protocol version announced in logs.
        pub const PROTOCOL: &str = $protocol;

        /// Converts diagnostics to this protocol version's messages.
        pub fn diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Vec<$pb::Diagnostic> {
            diags
                .into_iter()
                .map(|diag| {
                    let severity = match diag.severity {
                        $crate::plugin::diagnostics::Severity::Error => $pb::diagnostic::Severity::Error,
                        $crate::plugin::diagnostics::Severity::Warning => $pb::diagnostic::Severity::Warning,
                    };
                    $pb::Diagnostic {
                        severity: severity as i32,
                        summary: diag.summary,
                        detail: diag.detail,
                        attribute: diag.attribute.filter(|p| !p.is_root()).map(attribute_path),
                    }
                })
                .collect()
        }

        fn attribute_path(path: $crate::plugin::path::AttributePath) -> $pb::AttributePath {
            use $crate::plugin::path::PathStep;
            use $pb::attribute_path::step::Selector;
            $pb::AttributePath {
                steps: path
                    .steps
                    .into_iter()
                    .map(|step| $pb::attribute_path::Step {
                        selector: Some(match step {
                            PathStep::Attribute(name) => Selector::AttributeName(name),
                            PathStep::Key(key) => Selector::ElementKeyString(key),
                            PathStep::Index(index) => Selector::ElementKeyInt(index),
                        }),
                    })
                    .collect(),
            }
        }

        fn wire_severity(diag: &$pb::Diagnostic) -> $crate::plugin::diagnostics::Severity {
            if diag.severity == $pb::diagnostic::Severity::Warning as i32 {
                $crate::plugin::diagnostics::Severity::Warning
            } else {
                $crate::plugin::diagnostics::Severity::Error
            }
        }

        fn input(value: &Option<$pb::DynamicValue>) -> $crate::plugin::service::DynamicInput<'_> {
            match value {
                Some(v) => $crate::plugin::service::DynamicInput {
                    msgpack: &v.msgpack,
                    json: &v.json,
                },
                None => $crate::plugin::service::DynamicInput::default(),
            }
        }

        /// The parts of an attribute both versions send alike, with its cty type JSON.
        // Protocol 6 has one more field (nested_type), protocol 5 none.
        #[allow(clippy::needless_update)]
        fn plain_attribute(attr: &$crate::plugin::schema::Attribute, ty: Vec<u8>) -> $pb::schema::Attribute {
            let (required, optional, computed) = $crate::plugin::adapter::mode_flags(attr.mode);
            $pb::schema::Attribute {
                name: attr.name.clone(),
                r#type: ty,
                description: attr.description.clone(),
                required,
                optional,
                computed,
                sensitive: attr.sensitive,
                description_kind: $pb::StringKind::Markdown as i32,
                deprecated: attr.deprecation.is_some(),
                deprecation_message: attr.deprecation.clone().unwrap_or_default(),
                write_only: false,
                ..Default::default()
            }
        }

        /// Converts a schema to this protocol version.
        pub fn schema(schema: &$crate::plugin::schema::Schema) -> $pb::Schema {
            $pb::Schema {
                version: schema.version,
                block: Some($pb::schema::Block {
                    version: schema.version,
                    attributes: schema.block.attributes.iter().map($attribute).collect(),
                    block_types: Vec::new(),
                    description: schema.block.description.clone(),
                    description_kind: $pb::StringKind::Markdown as i32,
                    deprecated: schema.block.deprecation.is_some(),
                    deprecation_message: schema.block.deprecation.clone().unwrap_or_default(),
                }),
            }
        }

        fn capabilities() -> $pb::ServerCapabilities {
            $pb::ServerCapabilities {
                get_provider_schema_optional: true,
                ..Default::default()
            }
        }

        fn unsupported(rpc: &str, what: &str) -> Vec<$pb::Diagnostic> {
            diagnostics($crate::plugin::adapter::unsupported(rpc, what).into())
        }

        /// The generated tonic server for this protocol version, around a provider service.
        pub fn server<P: $crate::plugin::provider::Provider>(
            service: ::std::sync::Arc<$crate::plugin::service::ProviderService<P>>,
        ) -> $pb::provider_server::ProviderServer<$adapter<P>> {
            $pb::provider_server::ProviderServer::new($adapter { service })
        }

        /// This protocol version's front of a [`ProviderService`](crate::plugin::service::ProviderService).
        pub struct $adapter<P: $crate::plugin::provider::Provider> {
            service: ::std::sync::Arc<$crate::plugin::service::ProviderService<P>>,
        }

        $crate::impl_reply! { $pb; diagnostics:
            get_metadata, get_provider_schema, get_resource_identity_schemas, $validate_ds_msg,
            $configure_msg, read_data_source, get_functions, $($message),*
        }
        $crate::impl_reply! { $pb; error_text: $stop_msg }

        impl $crate::plugin::adapter::Reply for $pb::call_function::Response {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                Self {
                    result: None,
                    error: Some($pb::FunctionError {
                        text: diags.iter().map(|d| d.detail.as_str()).collect::<Vec<_>>().join(" "),
                        function_argument: None,
                    }),
                }
            }
            fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                self.error
                    .iter()
                    .map(|e| ($crate::plugin::diagnostics::Severity::Error, e.text.as_str()))
                    .collect()
            }
        }

        impl $crate::plugin::adapter::Reply for $pb::list_resource::Event {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                Self {
                    diagnostic: diagnostics(diags),
                    ..Default::default()
                }
            }
            fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                self.diagnostic
                    .iter()
                    .map(|d| (wire_severity(d), d.summary.as_str()))
                    .collect()
            }
        }

        impl $crate::plugin::adapter::Reply for $pb::invoke_action::Event {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                use $pb::invoke_action::event::{Completed, Type};
                Self {
                    r#type: Some(Type::Completed(Completed {
                        diagnostics: diagnostics(diags),
                    })),
                }
            }
            fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                match &self.r#type {
                    Some($pb::invoke_action::event::Type::Completed(done)) => done
                        .diagnostics
                        .iter()
                        .map(|d| (wire_severity(d), d.summary.as_str()))
                        .collect(),
                    _ => Vec::new(),
                }
            }
        }

        #[tonic::async_trait]
        impl<P: $crate::plugin::provider::Provider> $pb::provider_server::Provider for $adapter<P> {
            type ListResourceStream = $crate::plugin::adapter::EventStream<$pb::list_resource::Event>;
            type InvokeActionStream = $crate::plugin::adapter::EventStream<$pb::invoke_action::Event>;

            $($methods)*

            async fn get_metadata(
                &self,
                _request: tonic::Request<$pb::get_metadata::Request>,
            ) -> Result<tonic::Response<$pb::get_metadata::Response>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "GetMetadata");
                $crate::plugin::adapter::answer(call, async {
                    $pb::get_metadata::Response {
                        server_capabilities: Some(capabilities()),
                        data_sources: self
                            .service
                            .data_source_schemas()
                            .map(|(name, _)| $pb::get_metadata::DataSourceMetadata {
                                type_name: name.to_string(),
                            })
                            .collect(),
                        ..Default::default()
                    }
                })
                .await
            }

            async fn $get_schema(
                &self,
                _request: tonic::Request<$pb::get_provider_schema::Request>,
            ) -> Result<tonic::Response<$pb::get_provider_schema::Response>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, $get_schema_rpc);
                $crate::plugin::adapter::answer(call, async {
                    $pb::get_provider_schema::Response {
                        provider: Some(schema(self.service.provider_schema())),
                        data_source_schemas: self
                            .service
                            .data_source_schemas()
                            .map(|(name, s)| (name.to_string(), schema(s)))
                            .collect(),
                        provider_meta: Some(schema(&$crate::plugin::schema::Schema::default())),
                        server_capabilities: Some(capabilities()),
                        ..Default::default()
                    }
                })
                .await
            }

            async fn get_resource_identity_schemas(
                &self,
                _request: tonic::Request<$pb::get_resource_identity_schemas::Request>,
            ) -> Result<tonic::Response<$pb::get_resource_identity_schemas::Response>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "GetResourceIdentitySchemas");
                $crate::plugin::adapter::answer(call, async {
                    $pb::get_resource_identity_schemas::Response::default()
                })
                .await
            }

            async fn $validate_ds(
                &self,
                request: tonic::Request<$pb::$validate_ds_msg::Request>,
            ) -> Result<tonic::Response<$pb::$validate_ds_msg::Response>, tonic::Status> {
                let request = request.into_inner();
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, $validate_ds_rpc)
                    .data_source(&request.type_name);
                $crate::plugin::adapter::answer(call, async {
                    let diags = self
                        .service
                        .validate_data_source(&request.type_name, input(&request.config));
                    $pb::$validate_ds_msg::Response { diagnostics: diagnostics(diags) }
                })
                .await
            }

            async fn $configure(
                &self,
                request: tonic::Request<$pb::$configure_msg::Request>,
            ) -> Result<tonic::Response<$pb::$configure_msg::Response>, tonic::Status> {
                let request = request.into_inner();
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, $configure_rpc);
                $crate::plugin::adapter::answer(call, async {
                    let diags = self
                        .service
                        .configure(request.terraform_version.clone(), input(&request.config))
                        .await;
                    $pb::$configure_msg::Response { diagnostics: diagnostics(diags) }
                })
                .await
            }

            async fn read_data_source(
                &self,
                request: tonic::Request<$pb::read_data_source::Request>,
            ) -> Result<tonic::Response<$pb::read_data_source::Response>, tonic::Status> {
                let request = request.into_inner();
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "ReadDataSource")
                    .data_source(&request.type_name);
                $crate::plugin::adapter::answer(call, async {
                    let outcome = self
                        .service
                        .read_data_source(&request.type_name, input(&request.config))
                        .await;
                    $pb::read_data_source::Response {
                        state: outcome.state.map(|msgpack| $pb::DynamicValue {
                            msgpack,
                            json: Vec::new(),
                        }),
                        diagnostics: diagnostics(outcome.diagnostics),
                        deferred: None,
                    }
                })
                .await
            }

            async fn $stop(
                &self,
                _request: tonic::Request<$pb::$stop_msg::Request>,
            ) -> Result<tonic::Response<$pb::$stop_msg::Response>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, $stop_rpc);
                $crate::plugin::adapter::answer(call, async {
                    self.service.stop();
                    $pb::$stop_msg::Response::default()
                })
                .await
            }

            async fn get_functions(
                &self,
                _request: tonic::Request<$pb::get_functions::Request>,
            ) -> Result<tonic::Response<$pb::get_functions::Response>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "GetFunctions");
                $crate::plugin::adapter::answer(call, async { $pb::get_functions::Response::default() })
                    .await
            }

            async fn call_function(
                &self,
                request: tonic::Request<$pb::call_function::Request>,
            ) -> Result<tonic::Response<$pb::call_function::Response>, tonic::Status> {
                let name = request.into_inner().name;
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "CallFunction");
                $crate::plugin::adapter::answer(call, async {
                    <$pb::call_function::Response as $crate::plugin::adapter::Reply>::from_diagnostics(
                        $crate::plugin::diagnostics::Diagnostic::error(
                            "CallFunction is not supported",
                            format!("CallFunction is not supported: this provider has no functions, so {name:?} cannot be called."),
                        )
                        .into(),
                    )
                })
                .await
            }

            async fn list_resource(
                &self,
                _request: tonic::Request<$pb::list_resource::Request>,
            ) -> Result<tonic::Response<Self::ListResourceStream>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "ListResource");
                $crate::plugin::adapter::one_event(
                    $crate::plugin::adapter::answer(call, async {
                        $pb::list_resource::Event {
                            diagnostic: unsupported("ListResource", "list resources"),
                            ..Default::default()
                        }
                    })
                    .await,
                )
            }

            async fn invoke_action(
                &self,
                _request: tonic::Request<$pb::invoke_action::Request>,
            ) -> Result<tonic::Response<Self::InvokeActionStream>, tonic::Status> {
                let call = $crate::plugin::adapter::Call::new(PROTOCOL, "InvokeAction");
                $crate::plugin::adapter::one_event(
                    $crate::plugin::adapter::answer(call, async {
                        <$pb::invoke_action::Event as $crate::plugin::adapter::Reply>::from_diagnostics(
                            $crate::plugin::adapter::unsupported("InvokeAction", "actions").into(),
                        )
                    })
                    .await,
                )
            }

            $(
                async fn $method(
                    &self,
                    _request: tonic::Request<$pb::$message::Request>,
                ) -> Result<tonic::Response<$pb::$message::Response>, tonic::Status> {
                    let call = $crate::plugin::adapter::Call::new(PROTOCOL, $rpc);
                    $crate::plugin::adapter::answer(call, async {
                        <$pb::$message::Response as $crate::plugin::adapter::Reply>::from_diagnostics(
                            $crate::plugin::adapter::unsupported($rpc, $what).into(),
                        )
                    })
                    .await
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn flags_follow_the_mode() {
        assert_eq!(mode_flags(Mode::Required), (true, false, false));
        assert_eq!(mode_flags(Mode::Optional), (false, true, false));
        assert_eq!(mode_flags(Mode::Computed), (false, false, true));
        assert_eq!(mode_flags(Mode::OptionalComputed), (false, true, true));
    }

    struct Plain(Diagnostics);

    impl Reply for Plain {
        fn from_diagnostics(diagnostics: Diagnostics) -> Self {
            Self(diagnostics)
        }
        fn logged(&self) -> Vec<(Severity, &str)> {
            self.0
                .iter()
                .map(|d| (d.severity, d.summary.as_str()))
                .collect()
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_error_diagnostic_naming_the_rpc() {
        let call = Call::new("6.10", "ConfigureProvider");
        let reply = answer::<Plain>(call, async { panic!("bad state") })
            .await
            .expect("answered")
            .into_inner();
        let diag = &reply.0 .0[0];
        assert!(diag.is_error());
        assert!(diag.detail.contains("ConfigureProvider"), "{}", diag.detail);
        assert!(diag.detail.contains("bad state"), "{}", diag.detail);
    }
}
