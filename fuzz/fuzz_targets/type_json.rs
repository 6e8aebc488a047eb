//! Fuzzes the cty type-JSON parser: any bytes give a type or an error, its
//! JSON parser agrees with an independent one on what is JSON, and a parsed
//! type prints as JSON that parses back to the same type and prints
//! identically (to_json and from_json agree).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tfcf::plugin::Type;
use tfcf_fuzz::{check_json_grammar, is_json_syntax_error};

fuzz_target!(|data: &[u8]| {
    let parsed = Type::from_json(data);
    check_json_grammar(
        data,
        parsed
            .as_ref()
            .map_or_else(|error| !is_json_syntax_error(&error.message), |_| true),
    );
    let Ok(ty) = parsed else {
        return;
    };
    let json = ty.to_json();
    let again = Type::from_json(json.as_bytes())
        .unwrap_or_else(|error| panic!("to_json output does not parse: {error}\njson: {json}"));
    assert_eq!(again, ty, "round trip changed the type\njson: {json}");
    assert_eq!(again.to_json(), json, "printing is not stable");
    let _ = ty.friendly_name();
});
