//! Shared pieces of the fuzz targets: the representative types values are
//! decoded against, and the properties every successfully decoded value must
//! have. A property that does not hold panics, which libFuzzer reports as a
//! crash with the input that caused it.

use tfcf::cloudflare::config::ProviderConfig;
use tfcf::cloudflare::sso_connector::SsoConnector;
use tfcf::plugin::model::TfObject;
use tfcf::plugin::msgpack;
use tfcf::plugin::schema::Schema;
use tfcf::plugin::types::Type;
use tfcf::plugin::value::Value;

/// The types the value decoders are exercised against: `dynamic` (so the input
/// chooses its own type), the provider's real schemas, and synthetic types
/// covering every kind of collection, nested objects and tuples.
pub fn value_types() -> Vec<Type> {
    let nested = Type::object([
        ("y", Type::String),
        ("z", Type::map(Type::Bool)),
    ]);
    vec![
        Type::Dynamic,
        Schema::new("", SsoConnector::attributes()).value_type(),
        Schema::new("", ProviderConfig::attributes()).value_type(),
        Type::object([
            ("s", Type::String),
            ("n", Type::Number),
            ("b", Type::Bool),
            ("l", Type::list(Type::String)),
            ("st", Type::set(Type::Number)),
            ("m", Type::map(Type::Dynamic)),
            ("o", Type::object([("x", Type::list(nested))])),
            (
                "t",
                Type::tuple(vec![Type::String, Type::Number, Type::Dynamic]),
            ),
        ]),
        Type::list(Type::Dynamic),
        Type::set(Type::object([("a", Type::String), ("b", Type::Number)])),
        Type::map(Type::list(Type::Number)),
        Type::list(Type::list(Type::list(Type::String))),
    ]
}

/// True when `ty` has `dynamic` anywhere in it.
pub fn mentions_dynamic(ty: &Type) -> bool {
    match ty {
        Type::Dynamic => true,
        Type::String | Type::Number | Type::Bool => false,
        Type::List(element) | Type::Set(element) | Type::Map(element) => mentions_dynamic(element),
        Type::Object(attributes) => attributes.values().any(mentions_dynamic),
        Type::Tuple(elements) => elements.iter().any(mentions_dynamic),
    }
}

/// True when `value` holds an unknown value with refinements anywhere.
pub fn has_refinements(value: &Value) -> bool {
    match value {
        Value::Unknown(refinements) => !refinements.is_empty(),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter().any(has_refinements)
        }
        Value::Map(entries) | Value::Object(entries) => entries.values().any(has_refinements),
    }
}

/// The properties of a value some decoder produced for type `ty`:
///
/// * it encodes back to msgpack, unless its type involves `dynamic` (a value
///   does not carry its type, so a dynamically-typed value is re-encoded with
///   its implied type, which can legitimately fail) or it holds refinements
///   (re-encoding a refined number bound can outgrow the 1 KiB payload limit);
/// * once encoded, decoding and encoding again gives the same bytes: the
///   encoder's output is always accepted by the decoder, and nothing is lost
///   or changed by a second trip.
pub fn check_value(value: &Value, ty: &Type) {
    let first = match msgpack::encode(value, ty) {
        Ok(bytes) => bytes,
        Err(error) => {
            assert!(
                mentions_dynamic(ty) || has_refinements(value),
                "a decoded value of type {ty} does not encode again: {error}\nvalue: {value:?}"
            );
            return;
        }
    };
    let again = msgpack::decode(&first, ty).unwrap_or_else(|error| {
        panic!("the encoder's own output does not decode: {error}\nbytes: {first:02x?}")
    });
    let second = msgpack::encode(&again, ty)
        .unwrap_or_else(|error| panic!("a re-decoded value does not encode: {error}"));
    assert_eq!(
        first, second,
        "encoding is not stable across a round trip\nvalue: {value:?}\nagain: {again:?}"
    );
}
