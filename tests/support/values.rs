//! DynamicValues for requests, typed from the provider's own schemas so tests
//! follow the schema as it grows; malformed and wrongly shaped ones for the
//! hostile-input tests; and the state in a response, decoded.

use std::collections::BTreeMap;

use tfcf::cloudflare::config::ProviderConfig;
use tfcf::cloudflare::sso_connector::SsoConnector;
use tfcf::plugin::wire::msgpack;
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::Schema;
use tfcf::plugin::TfObject;
use tfcf::plugin::Type;
use tfcf::plugin::Value;

/// The object type of the provider configuration.
pub(crate) fn provider_type() -> Type {
    Schema::new("", ProviderConfig::attributes()).value_type()
}

/// The object type of `cloudflare_sso_connector`.
pub(crate) fn connector_type() -> Type {
    Schema::new("", SsoConnector::attributes()).value_type()
}

/// An object of `ty` with every attribute null except `pairs`.
pub(crate) fn object(ty: &Type, pairs: &[(&str, Value)]) -> Value {
    let Type::Object(attributes) = ty else {
        panic!("not an object type: {ty:?}");
    };
    let mut values: BTreeMap<String, Value> = attributes
        .keys()
        .map(|name| (name.clone(), Value::Null))
        .collect();
    for (name, value) in pairs {
        values.insert(name.to_string(), value.clone());
    }
    Value::Object(values)
}

/// A msgpack DynamicValue of `value` typed `ty`.
pub(crate) fn dynamic(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).expect("encode DynamicValue"),
        json: Vec::new(),
    }
}

/// A DynamicValue carrying `bytes` as its msgpack, however malformed.
pub(crate) fn raw(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: bytes,
        json: Vec::new(),
    })
}

/// A DynamicValue carrying `text` as its JSON.
pub(crate) fn json(text: impl Into<Vec<u8>>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: Vec::new(),
        json: text.into(),
    })
}

/// The msgpack of an object holding just `pairs`, each value encoded by the
/// type it implies rather than by any schema: a configuration of the wrong
/// shape (a number for a string, an attribute the schema lacks, …).
pub(crate) fn loose_object(pairs: &[(&str, Value)]) -> Vec<u8> {
    let value = Value::object(pairs.iter().cloned());
    msgpack::encode(&value, &value.implied_type()).expect("encode a loose object")
}

/// The state in a ReadDataSource response, decoded against `ty`.
pub(crate) fn state(state: Option<pb::DynamicValue>, ty: &Type) -> Value {
    let state = state.expect("a state in the response");
    msgpack::decode(&state.msgpack, ty).expect("the state decodes against the schema type")
}

/// The connector state of a read that must have succeeded; `what` names the
/// read if it did not.
pub(crate) fn read_connector(response: pb::read_data_source::Response, what: &str) -> Value {
    assert!(
        response.diagnostics.is_empty(),
        "{what}: {:?}",
        response.diagnostics
    );
    state(response.state, &connector_type())
}

/// A provider configuration with `pairs` set.
pub(crate) fn provider_config(pairs: &[(&str, Value)]) -> pb::DynamicValue {
    let ty = provider_type();
    dynamic(&object(&ty, pairs), &ty)
}

/// A `cloudflare_sso_connector` configuration.
pub(crate) fn connector_config(account: Value, connector: Value) -> pb::DynamicValue {
    let ty = connector_type();
    dynamic(
        &object(
            &ty,
            &[("account_id", account), ("sso_connector_id", connector)],
        ),
        &ty,
    )
}

/// A ReadDataSource request for one connector.
pub(crate) fn read_request(account: &str, connector: &str) -> pb::read_data_source::Request {
    pb::read_data_source::Request {
        type_name: "cloudflare_sso_connector".to_string(),
        config: Some(connector_config(
            Value::from(account),
            Value::from(connector),
        )),
        ..Default::default()
    }
}
