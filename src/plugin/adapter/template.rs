//! The template both protocol adapters are written from: `provider_adapter!`
//! produces a version's conversions, its `server` constructor and its whole
//! `Provider` service; `impl_reply!` lets the shared RPC wrapper build and log
//! that version's replies. Macros rather than generics because each version's
//! messages are distinct generated types with the same shape.

/// Implements [`Reply`](crate::plugin::adapter::Reply) for protocol messages, by how each carries diagnostics.
/// Expects this version's `diagnostics` and `wire_severity` functions in scope
/// (written by `provider_adapter!`).
macro_rules! impl_reply {
    ($pb:ident; diagnostics: $($message:ident),* $(,)?) => {
        $(
            $crate::plugin::adapter::template::impl_reply! { $pb::$message::Response; field: diagnostics }
        )*
    };
    ($reply:ty; field: $field:ident) => {
        impl $crate::plugin::adapter::Reply for $reply {
            // Some of these messages have only the diagnostics field.
            #[allow(clippy::needless_update)]
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                Self {
                    $field: diagnostics(diags),
                    ..Default::default()
                }
            }
            fn encoded_len(&self) -> usize {
                ::prost::Message::encoded_len(self)
            }
            fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                self.$field
                    .iter()
                    .map(|d| (wire_severity(d), d.summary.as_str()))
                    .collect()
            }
        }
    };
    ($pb:ident; error_text: $message:ident) => {
        impl $crate::plugin::adapter::Reply for $pb::$message::Response {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                Self {
                    error: $crate::plugin::diagnostics::for_wire(diags)
                        .iter()
                        .map(|d| d.summary.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }
            fn encoded_len(&self) -> usize {
                ::prost::Message::encoded_len(self)
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
/// this version has, and `unsupported` (first, so that the RPCs no version
/// serves are listed once, here) the version's own unsupported RPCs.
macro_rules! provider_adapter {
    (
        unsupported { $($unsupported:tt)* }
        $($rest:tt)*
    ) => {
        $crate::plugin::adapter::template::provider_adapter! {
            @expand
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
            $($rest)*
        }
    };
    (
        @expand
        unsupported { $( $method:ident($message:ident) = $rpc:literal, $what:literal; )* }
        pb: $pb:ident,
        protocol: $protocol:literal,
        adapter: $adapter:ident,
        attribute: $attribute:path,
        get_schema: $get_schema:ident = $get_schema_rpc:literal,
        validate_data_source: $validate_ds:ident($validate_ds_msg:ident) = $validate_ds_rpc:literal,
        configure: $configure:ident($configure_msg:ident) = $configure_rpc:literal,
        stop: $stop:ident($stop_msg:ident) = $stop_rpc:literal,
        methods { $($methods:tt)* }
    ) => {
        /// The protocol version announced in logs.
        pub(crate) const PROTOCOL: &str = $protocol;

        /// Converts diagnostics to this protocol version's messages, through
        /// the plugin layer's last guard on what reaches Terraform
        /// ([`for_wire`](crate::plugin::diagnostics::for_wire): escaped,
        /// bounded, at most 50 and a count).
        pub(crate) fn diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Vec<$pb::Diagnostic> {
            $crate::plugin::diagnostics::for_wire(diags)
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
        pub(crate) fn schema(schema: &$crate::plugin::schema::Schema) -> $pb::Schema {
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
        pub(crate) fn server<P: $crate::plugin::provider::Provider>(
            service: ::std::sync::Arc<$crate::plugin::service::ProviderService<P>>,
        ) -> $pb::provider_server::ProviderServer<$adapter<P>> {
            $pb::provider_server::ProviderServer::new($adapter { service })
        }

        /// This protocol version's front of a [`ProviderService`](crate::plugin::service::ProviderService).
        pub(crate) struct $adapter<P: $crate::plugin::provider::Provider> {
            service: ::std::sync::Arc<$crate::plugin::service::ProviderService<P>>,
        }

        $crate::plugin::adapter::template::impl_reply! { $pb; diagnostics:
            get_metadata, get_provider_schema, get_resource_identity_schemas, $validate_ds_msg,
            $configure_msg, read_data_source, get_functions, $($message),*
        }
        $crate::plugin::adapter::template::impl_reply! { $pb; error_text: $stop_msg }

        impl $crate::plugin::adapter::Reply for $pb::call_function::Response {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                Self {
                    result: None,
                    error: Some($pb::FunctionError {
                        text: $crate::plugin::diagnostics::for_wire(diags).iter().map(|d| d.detail.as_str()).collect::<Vec<_>>().join(" "),
                        function_argument: None,
                    }),
                }
            }
            fn encoded_len(&self) -> usize {
                ::prost::Message::encoded_len(self)
            }
            fn logged(&self) -> Vec<($crate::plugin::diagnostics::Severity, &str)> {
                self.error
                    .iter()
                    .map(|e| ($crate::plugin::diagnostics::Severity::Error, e.text.as_str()))
                    .collect()
            }
        }

        $crate::plugin::adapter::template::impl_reply! { $pb::list_resource::Event; field: diagnostic }

        impl $crate::plugin::adapter::Reply for $pb::invoke_action::Event {
            fn from_diagnostics(diags: $crate::plugin::diagnostics::Diagnostics) -> Self {
                use $pb::invoke_action::event::{Completed, Type};
                Self {
                    r#type: Some(Type::Completed(Completed {
                        diagnostics: diagnostics(diags),
                    })),
                }
            }
            fn encoded_len(&self) -> usize {
                ::prost::Message::encoded_len(self)
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

pub(crate) use {impl_reply, provider_adapter};
