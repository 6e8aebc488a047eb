//! Fuzzes the JSON DynamicValue decoder (`DynamicValue.json`): any bytes,
//! decoded against every representative type, must give a value or an error;
//! its JSON parser must agree with an independent one on what is JSON; and
//! every value decoded must encode to msgpack and survive a round trip.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tfcf::plugin::wire::json;
use tfcf::plugin::Type;
use tfcf_fuzz::{check_json_grammar, check_value, is_json_syntax_error, value_types};

static TYPES: OnceLock<Vec<Type>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut parsed = true;
    for ty in TYPES.get_or_init(value_types) {
        match json::decode(data, ty) {
            Ok(value) => {
                check_value(&value, ty);
            }
            Err(error) => parsed &= !(error.path.is_root() && is_json_syntax_error(&error.message)),
        }
    }
    check_json_grammar(data, parsed);
});
