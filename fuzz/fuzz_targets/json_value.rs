//! Fuzzes the JSON DynamicValue decoder (`DynamicValue.json`): any bytes,
//! decoded against every representative type, must give a value or an error,
//! and every value decoded must encode to msgpack and survive a round trip.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tfcf::plugin::json_value;
use tfcf::plugin::types::Type;
use tfcf_fuzz::{check_value, value_types};

static TYPES: OnceLock<Vec<Type>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    for ty in TYPES.get_or_init(value_types) {
        if let Ok(value) = json_value::decode(data, ty) {
            check_value(&value, ty);
        }
    }
});
