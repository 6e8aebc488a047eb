//! Fuzzes the msgpack DynamicValue decoder: any bytes, decoded against every
//! representative type, must give a value or an error (never a panic, a hang
//! or unbounded memory); whatever it accepts must be well-formed msgpack by an
//! independent decoder, and every value decoded must survive a round trip.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tfcf::plugin::wire::msgpack;
use tfcf::plugin::Type;
use tfcf_fuzz::{check_msgpack_grammar, check_value, value_types};

static TYPES: OnceLock<Vec<Type>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut accepted = false;
    for ty in TYPES.get_or_init(value_types) {
        if let Ok(value) = msgpack::decode(data, ty) {
            accepted = true;
            check_value(&value, ty);
        }
    }
    if accepted {
        check_msgpack_grammar(data);
    }
});
