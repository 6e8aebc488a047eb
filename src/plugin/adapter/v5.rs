//! The tfplugin5 adapter (protocol 5.10, every Terraform since 0.12): the same
//! version-neutral service as protocol 6, through the shared template in
//! [`adapter`]. What differs is here: protocol 5 has
//! no nested attributes, so a nested attribute is sent as a plain attribute of
//! its implied object (or collection of objects) type; `PrepareProviderConfig`
//! echoes the configuration back; and the `Provisioner` service, which this
//! provider answers with diagnostics only.

use tonic::{Request, Response, Status};

use crate::plugin::adapter::template::{impl_reply, provider_adapter};
use crate::plugin::adapter::{self, Call, EventStream};
use crate::plugin::proto::tfplugin5 as pb;
use crate::plugin::schema::{Attribute, Schema};

/// Converts one attribute; a nested attribute becomes its object-typed equivalent.
fn attribute(attr: &Attribute) -> pb::schema::Attribute {
    plain_attribute(attr, attr.value_type().to_json().into_bytes())
}

impl_reply! { pb; diagnostics:
    prepare_provider_config, get_provisioner_schema, validate_provisioner_config, provision_resource
}

provider_adapter! {
    unsupported {
        validate_resource_type_config(validate_resource_type_config) = "ValidateResourceTypeConfig", "managed resources";
    }
    pb: pb,
    protocol: "5.10",
    adapter: ProviderV5,
    attribute: attribute,
    get_schema: get_schema = "GetSchema",
    validate_data_source: validate_data_source_config(validate_data_source_config) = "ValidateDataSourceConfig",
    configure: configure(configure) = "Configure",
    stop: stop(stop) = "Stop",
    methods {
        async fn prepare_provider_config(
            &self,
            request: Request<pb::prepare_provider_config::Request>,
        ) -> Result<Response<pb::prepare_provider_config::Response>, Status> {
            let request = request.into_inner();
            adapter::answer(Call::new(PROTOCOL, "PrepareProviderConfig"), async {
                let diags = self.service.validate_provider_config(input(&request.config));
                // Terraform before 0.15 may configure the provider with what
                // comes back here, so return the configuration unchanged.
                pb::prepare_provider_config::Response {
                    prepared_config: request.config.clone(),
                    diagnostics: diagnostics(diags),
                }
            })
            .await
        }
    }
}

/// The generated tonic server for the protocol-5 `Provisioner` service.
pub(crate) fn provisioner_server() -> pb::provisioner_server::ProvisionerServer<ProvisionerV5> {
    pb::provisioner_server::ProvisionerServer::new(ProvisionerV5)
}

/// go-plugin registers the provisioner service beside the provider on
/// protocol 5; this provider has no provisioners, so every call is answered
/// with a diagnostic saying so.
pub(crate) struct ProvisionerV5;

const PROVISIONERS: &str = "provisioners";

#[tonic::async_trait]
impl pb::provisioner_server::Provisioner for ProvisionerV5 {
    type ProvisionResourceStream = EventStream<pb::provision_resource::Response>;

    async fn get_schema(
        &self,
        _request: Request<pb::get_provisioner_schema::Request>,
    ) -> Result<Response<pb::get_provisioner_schema::Response>, Status> {
        adapter::answer(Call::new(PROTOCOL, "Provisioner.GetSchema"), async {
            pb::get_provisioner_schema::Response {
                provisioner: Some(schema(&Schema::default())),
                diagnostics: unsupported("Provisioner.GetSchema", PROVISIONERS),
            }
        })
        .await
    }

    async fn validate_provisioner_config(
        &self,
        _request: Request<pb::validate_provisioner_config::Request>,
    ) -> Result<Response<pb::validate_provisioner_config::Response>, Status> {
        let rpc = "Provisioner.ValidateProvisionerConfig";
        adapter::answer(Call::new(PROTOCOL, rpc), async {
            pb::validate_provisioner_config::Response {
                diagnostics: unsupported(rpc, PROVISIONERS),
            }
        })
        .await
    }

    async fn provision_resource(
        &self,
        _request: Request<pb::provision_resource::Request>,
    ) -> Result<Response<Self::ProvisionResourceStream>, Status> {
        let rpc = "Provisioner.ProvisionResource";
        adapter::one_event(
            adapter::answer(Call::new(PROTOCOL, rpc), async {
                pb::provision_resource::Response {
                    output: String::new(),
                    diagnostics: unsupported(rpc, PROVISIONERS),
                }
            })
            .await,
        )
    }

    async fn stop(
        &self,
        _request: Request<pb::stop::Request>,
    ) -> Result<Response<pb::stop::Response>, Status> {
        // Nothing runs, so there is nothing to stop: an empty error means success.
        adapter::answer(Call::new(PROTOCOL, "Provisioner.Stop"), async {
            pb::stop::Response::default()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::Type;
    use crate::plugin::schema::{AttributeKind, Nesting};

    fn verification(nesting: Nesting) -> Attribute {
        Attribute::new(
            "verification",
            AttributeKind::Nested {
                nesting,
                attributes: vec![
                    Attribute::new("code", AttributeKind::Typed(Type::String)).computed(),
                    Attribute::new("status", AttributeKind::Typed(Type::String)).computed(),
                ],
            },
        )
    }

    #[test]
    fn nested_attributes_become_object_typed_with_the_same_flags() {
        let converted = schema(&Schema::new(
            "d",
            vec![
                verification(Nesting::Single).computed(),
                verification(Nesting::List).optional_computed(),
            ],
        ));
        let block = converted.block.expect("block");
        let single = &block.attributes[0];
        assert_eq!(
            String::from_utf8_lossy(&single.r#type),
            r#"["object",{"code":"string","status":"string"}]"#
        );
        assert!(single.computed && !single.optional && !single.required);
        let list = &block.attributes[1];
        assert_eq!(
            String::from_utf8_lossy(&list.r#type),
            r#"["list",["object",{"code":"string","status":"string"}]]"#
        );
        assert!(list.computed && list.optional && !list.required);
    }

    #[test]
    fn diagnostics_keep_severity_and_attribute_path() {
        use crate::plugin::diagnostics::Diagnostic;
        use crate::plugin::path::AttributePath;
        let converted = diagnostics(
            Diagnostic::warning("w", "d")
                .at(AttributePath::attribute("account_id"))
                .into(),
        );
        assert_eq!(
            converted[0].severity,
            pb::diagnostic::Severity::Warning as i32
        );
        let steps = &converted[0].attribute.as_ref().expect("path").steps;
        assert_eq!(
            steps[0].selector,
            Some(pb::attribute_path::step::Selector::AttributeName(
                "account_id".to_string()
            ))
        );
    }
}
