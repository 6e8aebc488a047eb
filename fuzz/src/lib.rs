//! Shared pieces of the fuzz targets: the representative types values are
//! decoded against, and the properties every successfully decoded value must
//! have. A property that does not hold panics, which libFuzzer reports as a
//! crash with the input that caused it.

use tfcf::cloudflare::config::ProviderConfig;
use tfcf::cloudflare::sso_connector::SsoConnector;
use tfcf::plugin::wire::msgpack;
use tfcf::plugin::Type;
use tfcf::plugin::Value;
use tfcf::plugin::TfObject;
use tfcf::plugin::Schema;

/// The types the value decoders are exercised against: `dynamic` (so the input
/// chooses its own type), the provider's real schemas, and synthetic types
/// covering every kind of collection, nested objects and tuples.
pub fn value_types() -> Vec<Type> {
    let nested = Type::object([("y", Type::String), ("z", Type::map(Type::Bool))]);
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
/// * the encoding is one well-formed msgpack item by an independent decoder;
/// * once encoded, decoding and encoding again gives the same bytes: the
///   encoder's output is always accepted by the decoder, and nothing is lost
///   or changed by a second trip.
///
/// Returns the value decoded from the encoding, for callers that expect it
/// to equal `value`; `None` when encoding was (legitimately) refused.
pub fn check_value(value: &Value, ty: &Type) -> Option<Value> {
    let first = match msgpack::encode(value, ty) {
        Ok(bytes) => bytes,
        Err(error) => {
            assert!(
                mentions_dynamic(ty) || has_refinements(value),
                "a value of type {ty} does not encode: {error}\nvalue: {value:?}"
            );
            return None;
        }
    };
    check_msgpack_grammar(&first);
    let again = msgpack::decode(&first, ty).unwrap_or_else(|error| {
        panic!("the encoder's own output does not decode: {error}\nbytes: {first:02x?}")
    });
    let second = msgpack::encode(&again, ty)
        .unwrap_or_else(|error| panic!("a re-decoded value does not encode: {error}"));
    assert_eq!(
        first, second,
        "encoding is not stable across a round trip\nvalue: {value:?}\nagain: {again:?}"
    );
    Some(again)
}

/// Checks the msgpack decoder against an independent one (`rmpv`): input the
/// decoder accepted as a value must be exactly one well-formed msgpack item.
pub fn check_msgpack_grammar(data: &[u8]) {
    let mut rest = data;
    let parsed = rmpv::decode::read_value(&mut rest);
    assert!(
        parsed.is_ok(),
        "accepted input that is not msgpack: {:?}",
        parsed.err()
    );
    assert!(
        rest.is_empty(),
        "accepted input with {} bytes after the msgpack item",
        rest.len()
    );
}

/// Checks the JSON parser against an independent one (`serde_json`): the
/// parser accepted the document exactly when it is JSON, except for the two
/// documented differences (lone UTF-16 surrogates in `\u` escapes become
/// U+FFFD, as Go's decoder does, and nesting deeper than serde_json's
/// recursion limit of 128).
pub fn check_json_grammar(data: &[u8], parser_accepted: bool) {
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(!parser_accepted, "accepted JSON that is not UTF-8");
        return;
    };
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => assert!(parser_accepted, "refused valid JSON: {text:?}"),
        Err(error) => {
            let message = error.to_string();
            let documented = message.contains("surrogate")
                || message.contains("unicode code point")
                || message.contains("recursion limit");
            assert!(
                !parser_accepted || documented,
                "accepted invalid JSON ({message}): {text:?}"
            );
        }
    }
}

/// True when a decode error says the input was not JSON at all (rather than
/// JSON of the wrong shape).
pub fn is_json_syntax_error(message: &str) -> bool {
    message.starts_with("invalid JSON")
}
