//! The tfplugin6 adapter: translates protocol-6 messages to the version-neutral
//! service and back.

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use crate::plugin::adapter;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::plugin::path::{AttributePath, PathStep};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::provider::Provider;
use crate::plugin::schema::{Attribute, AttributeKind, Mode, Nesting, Schema};
use crate::plugin::service::{DynamicInput, ProviderService};
use crate::provider_rpcs;

/// The generated tonic server for protocol 6, around a provider service.
pub fn server<P: Provider>(
    service: Arc<ProviderService<P>>,
) -> pb::provider_server::ProviderServer<ProviderV6<P>> {
    pb::provider_server::ProviderServer::new(ProviderV6 { service })
}

/// Protocol-6 front of a [`ProviderService`].
pub struct ProviderV6<P: Provider> {
    service: Arc<ProviderService<P>>,
}

/// Converts diagnostics to protocol 6.
pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

fn diagnostic(diag: Diagnostic) -> pb::Diagnostic {
    let severity = match diag.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: diag.summary,
        detail: diag.detail,
        attribute: diag.attribute.filter(|p| !p.is_root()).map(attribute_path),
    }
}

fn attribute_path(path: AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps
            .into_iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name),
                    PathStep::Key(key) => Selector::ElementKeyString(key),
                    PathStep::Index(index) => Selector::ElementKeyInt(index),
                }),
            })
            .collect(),
    }
}

fn unsupported(rpc: &str, what: &str) -> Vec<pb::Diagnostic> {
    diagnostics(adapter::unsupported(rpc, what).into())
}

/// Converts a schema to protocol 6, nested attributes included.
pub fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(pb::schema::Block {
            version: schema.version,
            attributes: schema.block.attributes.iter().map(attribute).collect(),
            block_types: Vec::new(),
            description: schema.block.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: schema.block.deprecation.is_some(),
            deprecation_message: schema.block.deprecation.clone().unwrap_or_default(),
        }),
    }
}

fn attribute(attr: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &attr.kind {
        AttributeKind::Typed(ty) => (ty.to_json().into_bytes(), None),
        AttributeKind::Nested {
            nesting,
            attributes,
        } => {
            let nesting = match nesting {
                Nesting::Single => pb::schema::object::NestingMode::Single,
                Nesting::List => pb::schema::object::NestingMode::List,
                Nesting::Set => pb::schema::object::NestingMode::Set,
                Nesting::Map => pb::schema::object::NestingMode::Map,
            };
            (
                Vec::new(),
                Some(pb::schema::Object {
                    attributes: attributes.iter().map(attribute).collect(),
                    nesting: nesting as i32,
                    ..Default::default()
                }),
            )
        }
    };
    pb::schema::Attribute {
        name: attr.name.clone(),
        r#type: ty,
        nested_type,
        description: attr.description.clone(),
        required: attr.mode == Mode::Required,
        optional: matches!(attr.mode, Mode::Optional | Mode::OptionalComputed),
        computed: matches!(attr.mode, Mode::Computed | Mode::OptionalComputed),
        sensitive: attr.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attr.deprecation.is_some(),
        deprecation_message: attr.deprecation.clone().unwrap_or_default(),
        ..Default::default()
    }
}

fn input(value: &Option<pb::DynamicValue>) -> DynamicInput<'_> {
    match value {
        Some(v) => DynamicInput {
            msgpack: &v.msgpack,
            json: &v.json,
        },
        None => DynamicInput::default(),
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        get_provider_schema_optional: true,
        ..Default::default()
    }
}

type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn once<T: Send + 'static>(item: T) -> EventStream<T> {
    Box::pin(tokio_stream::once(Ok(item)))
}

provider_rpcs! {
    impl<P: Provider> ProviderV6<P> as pb::provider_server::Provider {
        type ListResourceStream = EventStream<pb::list_resource::Event>;
        type ReadStateBytesStream = EventStream<pb::read_state_bytes::Response>;
        type InvokeActionStream = EventStream<pb::invoke_action::Event>;

        async fn get_metadata(
            &self,
            _request: Request<pb::get_metadata::Request>,
        ) -> Result<Response<pb::get_metadata::Response>, Status> {
            Ok(Response::new(pb::get_metadata::Response {
                server_capabilities: Some(capabilities()),
                data_sources: self
                    .service
                    .data_source_schemas()
                    .map(|(name, _)| pb::get_metadata::DataSourceMetadata { type_name: name.to_string() })
                    .collect(),
                ..Default::default()
            }))
        }

        async fn get_provider_schema(
            &self,
            _request: Request<pb::get_provider_schema::Request>,
        ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
            Ok(Response::new(pb::get_provider_schema::Response {
                provider: Some(schema(self.service.provider_schema())),
                data_source_schemas: self
                    .service
                    .data_source_schemas()
                    .map(|(name, s)| (name.to_string(), schema(s)))
                    .collect(),
                provider_meta: Some(schema(&Schema::default())),
                server_capabilities: Some(capabilities()),
                ..Default::default()
            }))
        }

        async fn get_resource_identity_schemas(
            &self,
            _request: Request<pb::get_resource_identity_schemas::Request>,
        ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
            Ok(Response::new(pb::get_resource_identity_schemas::Response::default()))
        }

        async fn validate_provider_config(
            &self,
            request: Request<pb::validate_provider_config::Request>,
        ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
            let request = request.into_inner();
            let diags = self.service.validate_provider_config(input(&request.config));
            Ok(Response::new(pb::validate_provider_config::Response { diagnostics: diagnostics(diags) }))
        }

        async fn configure_provider(
            &self,
            request: Request<pb::configure_provider::Request>,
        ) -> Result<Response<pb::configure_provider::Response>, Status> {
            let request = request.into_inner();
            let diags = self.service.configure(request.terraform_version.clone(), input(&request.config)).await;
            Ok(Response::new(pb::configure_provider::Response { diagnostics: diagnostics(diags) }))
        }

        async fn validate_data_resource_config(
            &self,
            request: Request<pb::validate_data_resource_config::Request>,
        ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
            let request = request.into_inner();
            let diags = self.service.validate_data_source(&request.type_name, input(&request.config));
            Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics: diagnostics(diags) }))
        }

        async fn read_data_source(
            &self,
            request: Request<pb::read_data_source::Request>,
        ) -> Result<Response<pb::read_data_source::Response>, Status> {
            let request = request.into_inner();
            let outcome = self.service.read_data_source(&request.type_name, input(&request.config)).await;
            Ok(Response::new(pb::read_data_source::Response {
                state: outcome.state.map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() }),
                diagnostics: diagnostics(outcome.diagnostics),
                deferred: None,
            }))
        }

        async fn stop_provider(
            &self,
            _request: Request<pb::stop_provider::Request>,
        ) -> Result<Response<pb::stop_provider::Response>, Status> {
            self.service.stop();
            Ok(Response::new(pb::stop_provider::Response::default()))
        }

        async fn get_functions(
            &self,
            _request: Request<pb::get_functions::Request>,
        ) -> Result<Response<pb::get_functions::Response>, Status> {
            Ok(Response::new(pb::get_functions::Response::default()))
        }

        async fn call_function(
            &self,
            request: Request<pb::call_function::Request>,
        ) -> Result<Response<pb::call_function::Response>, Status> {
            let name = request.into_inner().name;
            Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: format!("CallFunction is not supported: this provider has no functions, so {name:?} cannot be called."),
                    function_argument: None,
                }),
            }))
        }

        async fn list_resource(
            &self,
            _request: Request<pb::list_resource::Request>,
        ) -> Result<Response<Self::ListResourceStream>, Status> {
            Ok(Response::new(once(pb::list_resource::Event {
                diagnostic: unsupported("ListResource", "list resources"),
                ..Default::default()
            })))
        }

        async fn read_state_bytes(
            &self,
            _request: Request<pb::read_state_bytes::Request>,
        ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
            Ok(Response::new(once(pb::read_state_bytes::Response {
                diagnostics: unsupported("ReadStateBytes", "state stores"),
                ..Default::default()
            })))
        }

        async fn write_state_bytes(
            &self,
            _request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
        ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
            Ok(Response::new(pb::write_state_bytes::Response {
                diagnostics: unsupported("WriteStateBytes", "state stores"),
            }))
        }

        async fn invoke_action(
            &self,
            _request: Request<pb::invoke_action::Request>,
        ) -> Result<Response<Self::InvokeActionStream>, Status> {
            Ok(Response::new(once(pb::invoke_action::Event {
                r#type: Some(pb::invoke_action::event::Type::Completed(pb::invoke_action::event::Completed {
                    diagnostics: unsupported("InvokeAction", "actions"),
                })),
            })))
        }
    }
    unsupported(unsupported) {
        validate_resource_config(pb::validate_resource_config::Request) -> pb::validate_resource_config::Response = "ValidateResourceConfig", "managed resources";
        upgrade_resource_state(pb::upgrade_resource_state::Request) -> pb::upgrade_resource_state::Response = "UpgradeResourceState", "managed resources";
        upgrade_resource_identity(pb::upgrade_resource_identity::Request) -> pb::upgrade_resource_identity::Response = "UpgradeResourceIdentity", "managed resources";
        read_resource(pb::read_resource::Request) -> pb::read_resource::Response = "ReadResource", "managed resources";
        plan_resource_change(pb::plan_resource_change::Request) -> pb::plan_resource_change::Response = "PlanResourceChange", "managed resources";
        apply_resource_change(pb::apply_resource_change::Request) -> pb::apply_resource_change::Response = "ApplyResourceChange", "managed resources";
        import_resource_state(pb::import_resource_state::Request) -> pb::import_resource_state::Response = "ImportResourceState", "managed resources";
        move_resource_state(pb::move_resource_state::Request) -> pb::move_resource_state::Response = "MoveResourceState", "managed resources";
        generate_resource_config(pb::generate_resource_config::Request) -> pb::generate_resource_config::Response = "GenerateResourceConfig", "managed resources";
        validate_ephemeral_resource_config(pb::validate_ephemeral_resource_config::Request) -> pb::validate_ephemeral_resource_config::Response = "ValidateEphemeralResourceConfig", "ephemeral resources";
        open_ephemeral_resource(pb::open_ephemeral_resource::Request) -> pb::open_ephemeral_resource::Response = "OpenEphemeralResource", "ephemeral resources";
        renew_ephemeral_resource(pb::renew_ephemeral_resource::Request) -> pb::renew_ephemeral_resource::Response = "RenewEphemeralResource", "ephemeral resources";
        close_ephemeral_resource(pb::close_ephemeral_resource::Request) -> pb::close_ephemeral_resource::Response = "CloseEphemeralResource", "ephemeral resources";
        validate_list_resource_config(pb::validate_list_resource_config::Request) -> pb::validate_list_resource_config::Response = "ValidateListResourceConfig", "list resources";
        validate_state_store_config(pb::validate_state_store::Request) -> pb::validate_state_store::Response = "ValidateStateStoreConfig", "state stores";
        configure_state_store(pb::configure_state_store::Request) -> pb::configure_state_store::Response = "ConfigureStateStore", "state stores";
        lock_state(pb::lock_state::Request) -> pb::lock_state::Response = "LockState", "state stores";
        unlock_state(pb::unlock_state::Request) -> pb::unlock_state::Response = "UnlockState", "state stores";
        get_states(pb::get_states::Request) -> pb::get_states::Response = "GetStates", "state stores";
        delete_state(pb::delete_state::Request) -> pb::delete_state::Response = "DeleteState", "state stores";
        plan_action(pb::plan_action::Request) -> pb::plan_action::Response = "PlanAction", "actions";
        validate_action_config(pb::validate_action_config::Request) -> pb::validate_action_config::Response = "ValidateActionConfig", "actions";
    }
}
