//! The tfplugin6 adapter: translates protocol-6 messages to the version-neutral
//! service and back. The shared template in [`adapter`]
//! writes most of it; what is left here is what only protocol 6 has: nested
//! attributes, `ValidateProviderConfig`, and the state-store RPCs.

use tonic::{Request, Response, Status, Streaming};

use crate::plugin::adapter::template::{impl_reply, provider_adapter};
use crate::plugin::adapter::{self, Call, EventStream};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::schema::{Attribute, AttributeKind, Nesting};

/// Converts one attribute, nested attributes included.
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
        nested_type,
        ..plain_attribute(attr, ty)
    }
}

impl_reply! { pb; diagnostics: validate_provider_config, read_state_bytes, write_state_bytes }

provider_adapter! {
    unsupported {
        validate_resource_config(validate_resource_config) = "ValidateResourceConfig", "managed resources";
        validate_state_store_config(validate_state_store) = "ValidateStateStoreConfig", "state stores";
        configure_state_store(configure_state_store) = "ConfigureStateStore", "state stores";
        lock_state(lock_state) = "LockState", "state stores";
        unlock_state(unlock_state) = "UnlockState", "state stores";
        get_states(get_states) = "GetStates", "state stores";
        delete_state(delete_state) = "DeleteState", "state stores";
    }
    pb: pb,
    protocol: "6.10",
    adapter: ProviderV6,
    attribute: attribute,
    get_schema: get_provider_schema = "GetProviderSchema",
    validate_data_source: validate_data_resource_config(validate_data_resource_config) = "ValidateDataResourceConfig",
    configure: configure_provider(configure_provider) = "ConfigureProvider",
    stop: stop_provider(stop_provider) = "StopProvider",
    methods {
        type ReadStateBytesStream = EventStream<pb::read_state_bytes::Response>;

        async fn validate_provider_config(
            &self,
            request: Request<pb::validate_provider_config::Request>,
        ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
            let request = request.into_inner();
            adapter::answer(Call::new(PROTOCOL, "ValidateProviderConfig"), async {
                let diags = self.service.validate_provider_config(input(&request.config));
                pb::validate_provider_config::Response { diagnostics: diagnostics(diags) }
            })
            .await
        }

        async fn read_state_bytes(
            &self,
            _request: Request<pb::read_state_bytes::Request>,
        ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
            let call = Call::new(PROTOCOL, "ReadStateBytes");
            adapter::one_event(
                adapter::answer(call, async {
                    pb::read_state_bytes::Response {
                        diagnostics: unsupported("ReadStateBytes", "state stores"),
                        ..Default::default()
                    }
                })
                .await,
            )
        }

        async fn write_state_bytes(
            &self,
            _request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
        ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
            adapter::answer(Call::new(PROTOCOL, "WriteStateBytes"), async {
                pb::write_state_bytes::Response {
                    diagnostics: unsupported("WriteStateBytes", "state stores"),
                }
            })
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::Type;
    use crate::plugin::schema::Schema;

    #[test]
    fn nested_attributes_stay_nested() {
        let nested = Attribute::new(
            "verification",
            AttributeKind::Nested {
                nesting: Nesting::Single,
                attributes: vec![
                    Attribute::new("code", AttributeKind::Typed(Type::String)).computed()
                ],
            },
        )
        .computed();
        let converted = schema(&Schema::new("d", vec![nested]));
        let attr = &converted.block.expect("block").attributes[0];
        assert!(attr.r#type.is_empty());
        let object = attr.nested_type.as_ref().expect("nested type");
        assert_eq!(
            object.nesting,
            pb::schema::object::NestingMode::Single as i32
        );
        assert!(attr.computed && !attr.optional && !attr.required);
    }

    #[test]
    fn a_read_too_large_to_send_loses_its_state_for_an_error_at_the_wire_size() {
        let reply = pb::read_data_source::Response {
            state: Some(pb::DynamicValue {
                msgpack: vec![0xc0; 3 << 20],
                json: Vec::new(),
            }),
            ..Default::default()
        };
        let call = Call::new(PROTOCOL, "ReadDataSource").data_source("example_thing");
        let replaced = adapter::within_limit(&call, reply, 2 << 20);
        assert!(replaced.state.is_none());
        assert_eq!(replaced.diagnostics.len(), 1);
        let detail = &replaced.diagnostics[0].detail;
        assert!(
            detail.starts_with(
                "The state of data source example_thing is 3.0 MiB encoded, more than the 2 MiB"
            ),
            "{detail}"
        );
        assert_eq!(
            replaced.diagnostics[0].severity,
            pb::diagnostic::Severity::Error as i32
        );
    }
}
