//! The msgpack codec's tests: exact bytes as go-cty writes them, round trips,
//! and malformed, truncated, oversized and random input.

use std::collections::BTreeMap;

use super::{decode, encode};
use crate::plugin::codec::limits::MAX_DEPTH;
use crate::plugin::cty::{Number, Refinements, Type, Value};
use crate::plugin::path::AttributePath;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn round_trip(value: &Value, ty: &Type) {
    let bytes = encode(value, ty).unwrap_or_else(|e| panic!("encode {value:?}: {e}"));
    let back = decode(&bytes, ty).unwrap_or_else(|e| panic!("decode {bytes:02x?}: {e}"));
    assert_eq!(&back, value, "bytes {bytes:02x?}");
}

#[test]
fn strings() {
    for s in [
        "",
        "abc",
        "héllo wörld ✓ 😀",
        &"x".repeat(31),
        &"y".repeat(32),
        &"z".repeat(300),
        &"w".repeat(70_000),
    ] {
        round_trip(&Value::from(s), &Type::String);
    }
    assert_eq!(
        encode(&Value::from("abc"), &Type::String).unwrap(),
        hex("a3 616263")
    );
    assert_eq!(
        encode(&Value::from("é"), &Type::String).unwrap(),
        hex("a2 c3a9")
    );
    assert_eq!(
        &encode(&Value::from("y".repeat(32).as_str()), &Type::String).unwrap()[..2],
        &hex("d9 20")[..]
    );
    assert_eq!(
        &encode(&Value::from("y".repeat(256).as_str()), &Type::String).unwrap()[..3],
        &hex("da 0100")[..]
    );
    // str8/16/32 and bin all decode as strings.
    assert_eq!(
        decode(&hex("d9 03 616263"), &Type::String),
        Ok(Value::from("abc"))
    );
    assert_eq!(
        decode(&hex("da 0003 616263"), &Type::String),
        Ok(Value::from("abc"))
    );
    assert_eq!(
        decode(&hex("db 00000003 616263"), &Type::String),
        Ok(Value::from("abc"))
    );
    assert_eq!(
        decode(&hex("c4 03 616263"), &Type::String),
        Ok(Value::from("abc"))
    );
    assert!(decode(&hex("a2 c328"), &Type::String).is_err());
}

#[test]
fn numbers_encode_like_cty() {
    let cases: Vec<(Number, &str)> = vec![
        (Number::Int(0), "00"),
        (Number::Int(3), "03"),
        (Number::Int(127), "7f"),
        (Number::Int(128), "cc 80"),
        (Number::Int(255), "cc ff"),
        (Number::Int(256), "cd 0100"),
        (Number::Int(65_536), "ce 00010000"),
        (Number::Int(4_294_967_296), "cf 0000000100000000"),
        (Number::Int(-1), "ff"),
        (Number::Int(-32), "e0"),
        (Number::Int(-33), "d0 df"),
        (Number::Int(-128), "d0 80"),
        (Number::Int(-129), "d1 ff7f"),
        (Number::Int(-32_769), "d2 ffff7fff"),
        (Number::Int(i64::MIN), "d3 8000000000000000"),
        (Number::Float(3.0), "03"),
        (Number::Float(-0.0), "00"),
        (Number::Float(1.5), "cb 3ff8000000000000"),
        (Number::Float(1e20), "cb 4415af1d78b58c40"),
        (Number::Float(f64::INFINITY), "cb 7ff0000000000000"),
        (Number::Float(f64::NEG_INFINITY), "cb fff0000000000000"),
        (Number::Big("42".into()), "2a"),
        (Number::Big("-4.2e1".into()), "d0 d6"),
        (Number::Big("0.5".into()), "cb 3fe0000000000000"),
        (
            Number::Big("18446744073709551616".into()),
            "cb 43f0000000000000",
        ),
        (Number::Big("0.1".into()), "a3 302e31"),
    ];
    for (number, expected) in cases {
        assert_eq!(
            encode(&Value::Number(number.clone()), &Type::Number).unwrap(),
            hex(expected),
            "{number:?}"
        );
    }
    let big = "123456789012345678901234567890";
    let mut expected = vec![0xa0 | 30];
    expected.extend_from_slice(big.as_bytes());
    assert_eq!(
        encode(&Value::Number(Number::Big(big.into())), &Type::Number).unwrap(),
        expected
    );
    assert!(encode(&Value::from(f64::NAN), &Type::Number).is_err());
    assert!(encode(&Value::Number(Number::Big("12abc".into())), &Type::Number).is_err());
}

#[test]
fn numbers_decode_every_width() {
    let cases: Vec<(&str, Number)> = vec![
        ("05", Number::Int(5)),
        ("7f", Number::Int(127)),
        ("ff", Number::Int(-1)),
        ("e0", Number::Int(-32)),
        ("cc ff", Number::Int(255)),
        ("cd ffff", Number::Int(65_535)),
        ("ce ffffffff", Number::Int(4_294_967_295)),
        ("cf 7fffffffffffffff", Number::Int(i64::MAX)),
        (
            "cf ffffffffffffffff",
            Number::Big("18446744073709551615".into()),
        ),
        ("d0 80", Number::Int(-128)),
        ("d1 8000", Number::Int(-32_768)),
        ("d2 80000000", Number::Int(-2_147_483_648)),
        ("d3 8000000000000000", Number::Int(i64::MIN)),
        ("ca 3fc00000", Number::Float(1.5)),
        ("cb 3ff8000000000000", Number::Float(1.5)),
        ("cb 4008000000000000", Number::Float(3.0)),
        ("cb 7ff0000000000000", Number::Float(f64::INFINITY)),
        ("ca ff800000", Number::Float(f64::NEG_INFINITY)),
        ("a2 3132", Number::Int(12)),
        ("a4 2d312e30", Number::Int(-1)),
        ("a3 302e31", Number::Big("0.1".into())),
        ("a5 3165343030", Number::Big("1e400".into())),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            decode(&hex(bytes), &Type::Number),
            Ok(Value::Number(expected)),
            "{bytes}"
        );
    }
    assert!(decode(&hex("cb 7ff8000000000000"), &Type::Number).is_err()); // NaN
    assert!(decode(&hex("a3 616263"), &Type::Number).is_err());
    assert!(decode(&hex("c3"), &Type::Number).is_err());
    for n in [
        Number::Int(0),
        Number::Int(-1),
        Number::Int(i64::MAX),
        Number::Int(i64::MIN),
        Number::Float(0.25),
        Number::Float(-1e300),
        Number::Float(f64::INFINITY),
        Number::Big("18446744073709551615".into()),
        Number::Big("123456789012345678901234567890.125".into()),
        Number::Big("1e400".into()),
    ] {
        round_trip(&Value::Number(n), &Type::Number);
    }
}

#[test]
fn bools_and_nulls() {
    assert_eq!(encode(&Value::from(true), &Type::Bool).unwrap(), hex("c3"));
    assert_eq!(encode(&Value::from(false), &Type::Bool).unwrap(), hex("c2"));
    round_trip(&Value::from(true), &Type::Bool);
    round_trip(&Value::from(false), &Type::Bool);
    for ty in [
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::list(Type::String),
        Type::set(Type::String),
        Type::map(Type::String),
        Type::object([("a", Type::String)]),
        Type::tuple(vec![Type::String]),
    ] {
        assert_eq!(encode(&Value::Null, &ty).unwrap(), hex("c0"));
        assert_eq!(decode(&hex("c0"), &ty), Ok(Value::Null));
    }
}

#[test]
fn collections() {
    let list = Value::List(vec![Value::from("a"), Value::Null, Value::from("c")]);
    assert_eq!(
        encode(&list, &Type::list(Type::String)).unwrap(),
        hex("93 a161 c0 a163")
    );
    round_trip(&list, &Type::list(Type::String));
    round_trip(&Value::List(vec![]), &Type::list(Type::String));
    round_trip(
        &Value::Set(vec![Value::from(1), Value::from(2)]),
        &Type::set(Type::Number),
    );
    round_trip(&Value::Set(vec![]), &Type::set(Type::Number));
    let long = Value::List((0..20).map(Value::from).collect());
    assert_eq!(
        &encode(&long, &Type::list(Type::Number)).unwrap()[..3],
        &hex("dc 0014")[..]
    );
    round_trip(&long, &Type::list(Type::Number));
    let map = Value::Map(BTreeMap::from([
        ("b".to_string(), Value::from(true)),
        ("a".to_string(), Value::Null),
    ]));
    assert_eq!(
        encode(&map, &Type::map(Type::Bool)).unwrap(),
        hex("82 a161 c0 a162 c3")
    );
    round_trip(&map, &Type::map(Type::Bool));
    round_trip(&Value::Map(BTreeMap::new()), &Type::map(Type::Bool));
    let tuple = Value::Tuple(vec![Value::from("x"), Value::from(1), Value::Null]);
    let tuple_type = Type::tuple(vec![Type::String, Type::Number, Type::Bool]);
    assert_eq!(encode(&tuple, &tuple_type).unwrap(), hex("93 a178 01 c0"));
    round_trip(&tuple, &tuple_type);
    round_trip(&Value::Tuple(vec![]), &Type::tuple(vec![]));
    // Nested collections with nulls at every level.
    let nested = Value::List(vec![
        Value::Null,
        Value::Map(BTreeMap::from([
            (
                "k".to_string(),
                Value::Set(vec![Value::Null, Value::from("v")]),
            ),
            ("n".to_string(), Value::Null),
        ])),
    ]);
    round_trip(&nested, &Type::list(Type::map(Type::set(Type::String))));
    // A list value may be written for a set type and vice versa (cty converts).
    assert_eq!(
        encode(&Value::List(vec![Value::from(1)]), &Type::set(Type::Number)).unwrap(),
        hex("91 01")
    );
    // Wider array and map headers decode.
    assert_eq!(
        decode(&hex("dd 00000001 a161"), &Type::list(Type::String)),
        Ok(Value::List(vec![Value::from("a")]))
    );
    assert_eq!(
        decode(&hex("de 0001 a161 c3"), &Type::map(Type::Bool)),
        Ok(Value::Map(BTreeMap::from([(
            "a".to_string(),
            Value::from(true)
        )])))
    );
    assert_eq!(
        decode(&hex("df 00000001 a161 c3"), &Type::map(Type::Bool)),
        Ok(Value::Map(BTreeMap::from([(
            "a".to_string(),
            Value::from(true)
        )])))
    );
}

#[test]
fn objects() {
    let ty = Type::object([
        ("input", Type::String),
        ("num", Type::Number),
        ("id", Type::String),
    ]);
    let value = Value::object([
        ("id", Value::Null),
        ("input", Value::from("abc")),
        ("num", Value::from(3)),
    ]);
    let expected = hex("83 a2 69 64 c0 a5 69 6e 70 75 74 a3 61 62 63 a3 6e 75 6d 03");
    assert_eq!(encode(&value, &ty).unwrap(), expected);
    assert_eq!(decode(&expected, &ty), Ok(value.clone()));
    // An attribute missing from the value is written as nil.
    let partial = Value::object([("input", Value::from("abc")), ("num", Value::from(3))]);
    assert_eq!(encode(&partial, &ty).unwrap(), expected);
    // Keys are sorted bytewise ("B" < "_" < "a" < "é").
    let sorted = Type::object([
        ("é", Type::Bool),
        ("a", Type::Bool),
        ("_", Type::Bool),
        ("B", Type::Bool),
    ]);
    let bytes = encode(&Value::Object(BTreeMap::new()), &sorted).unwrap();
    assert_eq!(bytes, hex("84 a142 c0 a15f c0 a161 c0 a2c3a9 c0"));
    // Any key order decodes; absent attributes become null.
    assert_eq!(
        decode(&hex("82 a3 6e 75 6d 03 a2 69 64 a1 78"), &ty),
        Ok(Value::object([
            ("id", Value::from("x")),
            ("input", Value::Null),
            ("num", Value::from(3))
        ]))
    );
    assert_eq!(
        decode(&hex("80"), &ty),
        Ok(Value::object([
            ("id", Value::Null),
            ("input", Value::Null),
            ("num", Value::Null)
        ]))
    );
    // Nested objects.
    let nested_type = Type::object([
        (
            "outer",
            Type::object([("inner", Type::object([("leaf", Type::String)]))]),
        ),
        ("list", Type::list(Type::object([("x", Type::Number)]))),
    ]);
    let nested = Value::object([
        (
            "outer",
            Value::object([("inner", Value::object([("leaf", Value::from("deep"))]))]),
        ),
        (
            "list",
            Value::List(vec![
                Value::object([("x", Value::from(1))]),
                Value::Null,
                Value::object([("x", Value::Null)]),
            ]),
        ),
    ]);
    round_trip(&nested, &nested_type);
    round_trip(
        &Value::object([("outer", Value::Null), ("list", Value::Null)]),
        &nested_type,
    );
    round_trip(
        &Value::Object(BTreeMap::new()),
        &Type::object(Vec::<(String, Type)>::new()),
    );
}

#[test]
fn dynamic_values() {
    let cases = vec![
        (Value::from("s"), "92 c4 08 22737472696e6722 a1 73"),
        (Value::from(5), "92 c4 08 226e756d62657222 05"),
        (Value::from(true), "92 c4 06 22626f6f6c22 c3"),
    ];
    for (value, expected) in cases {
        assert_eq!(encode(&value, &Type::Dynamic).unwrap(), hex(expected));
        assert_eq!(decode(&hex(expected), &Type::Dynamic), Ok(value));
    }
    assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), hex("c0"));
    assert_eq!(
        encode(&Value::unknown(), &Type::Dynamic).unwrap(),
        hex("d4 00 00")
    );
    for value in [
        Value::List(vec![Value::from("a"), Value::from("b")]),
        Value::List(vec![]),
        Value::Set(vec![Value::from(1.5)]),
        Value::Map(BTreeMap::from([("k".to_string(), Value::from(1))])),
        Value::object([
            ("a", Value::from("x")),
            ("b", Value::List(vec![Value::from(true)])),
        ]),
        Value::Tuple(vec![Value::from("x"), Value::from(2)]),
        Value::List(vec![Value::Null, Value::from("b")]),
    ] {
        round_trip(&value, &Type::Dynamic);
        round_trip(
            &Value::object([("d", value.clone())]),
            &Type::object([("d", Type::Dynamic)]),
        );
    }
    // The type JSON may also be a str, and a list of dynamic nests wrappers.
    let bytes = hex("92 a8 22737472696e6722 a1 73");
    assert_eq!(decode(&bytes, &Type::Dynamic), Ok(Value::from("s")));
    let list_of_dynamic = Value::List(vec![Value::from("a"), Value::from(1)]);
    let bytes = encode(&list_of_dynamic, &Type::list(Type::Dynamic)).unwrap();
    assert_eq!(
        bytes,
        hex("92 92 c4 08 22737472696e6722 a1 61 92 c4 08 226e756d62657222 01")
    );
    assert_eq!(
        decode(&bytes, &Type::list(Type::Dynamic)),
        Ok(list_of_dynamic)
    );
    // A dynamic wrapper holding null or unknown.
    assert_eq!(
        decode(&hex("92 c4 08 22737472696e6722 c0"), &Type::Dynamic),
        Ok(Value::Null)
    );
    assert_eq!(
        decode(&hex("92 c4 08 22737472696e6722 d4 00 00"), &Type::Dynamic),
        Ok(Value::unknown())
    );
    // Malformed wrappers.
    for bad in [
        "91 c4 08 22737472696e6722",
        "93 c4 08 22737472696e6722 a1 73 c0",
        "a1 73",
        "92 01 a1 73",
        "92 c4 03 22782a a1 73",
        "92 c4 08 22737472696e6722 05",
    ] {
        assert!(decode(&hex(bad), &Type::Dynamic).is_err(), "{bad}");
    }
}

#[test]
fn unknowns() {
    assert_eq!(
        encode(&Value::unknown(), &Type::String).unwrap(),
        hex("d4 00 00")
    );
    assert_eq!(
        decode(&hex("d4 00 00"), &Type::String),
        Ok(Value::unknown())
    );
    assert_eq!(
        encode(
            &Value::object([("a", Value::unknown())]),
            &Type::object([("a", Type::list(Type::String))])
        )
        .unwrap(),
        hex("81 a161 d4 00 00")
    );
    // Every ext header form with a payload of at most one byte is a plain unknown, whatever its type.
    for bytes in [
        "d4 05 ff",
        "c7 00 00",
        "c7 01 07 aa",
        "c8 0000 00",
        "c8 0001 01 00",
        "c9 00000000 00",
        "c9 00000001 0c 00",
    ] {
        for ty in [
            Type::String,
            Type::Dynamic,
            Type::object([("a", Type::Bool)]),
        ] {
            assert_eq!(decode(&hex(bytes), &ty), Ok(Value::unknown()), "{bytes}");
        }
    }
    // Longer payloads must be type 12.
    for bytes in [
        "d5 00 0000",
        "d6 01 00000000",
        "d7 02 0000000000000000",
        "d8 03 00000000000000000000000000000000",
        "c7 02 05 0000",
    ] {
        assert!(decode(&hex(bytes), &Type::String).is_err(), "{bytes}");
    }
    // All header forms carry refinements: a one-entry map {1: false} is 3 bytes, padded to the fixext size.
    let not_null = Value::Unknown(Refinements {
        not_null: Some(true),
        ..Refinements::default()
    });
    for bytes in [
        "c7 03 0c 81 01 c2",
        "c8 0003 0c 81 01 c2",
        "c9 00000003 0c 81 01 c2",
    ] {
        assert_eq!(
            decode(&hex(bytes), &Type::String),
            Ok(not_null.clone()),
            "{bytes}"
        );
    }
    // fixext2 cannot hold the entry's value: truncated refinements are an error.
    assert!(decode(&hex("d5 0c 81 01"), &Type::String).is_err());
    for bytes in [
        "d6 0c 81 01 c2 00",
        "d7 0c 81 01 c2 0000000000",
        "d8 0c 81 01 c2 00000000000000000000000000",
    ] {
        // Trailing payload bytes after the map are ignored, as cty does.
        assert_eq!(
            decode(&hex(bytes), &Type::String),
            Ok(not_null.clone()),
            "{bytes}"
        );
    }
    assert_eq!(
        encode(&not_null, &Type::String).unwrap(),
        hex("c7 03 0c 81 01 c2")
    );
}

#[test]
fn refined_unknown_exact_bytes() {
    let bytes = hex("c7 09 0c 82 01 c2 02 a4 70 72 65 2d");
    let expected = Value::Unknown(Refinements {
        not_null: Some(true),
        string_prefix: Some("pre-".to_string()),
        ..Refinements::default()
    });
    assert_eq!(decode(&bytes, &Type::String), Ok(expected.clone()));
    assert_eq!(encode(&expected, &Type::String).unwrap(), bytes);
    // Dynamic-typed unknowns drop refinements both ways, like cty.
    assert_eq!(decode(&bytes, &Type::Dynamic), Ok(Value::unknown()));
    assert_eq!(encode(&expected, &Type::Dynamic).unwrap(), hex("d4 00 00"));
}

#[test]
fn refinement_round_trips() {
    let number = Value::Unknown(Refinements {
        not_null: Some(true),
        number_lower: Some((Number::Int(-5), true)),
        number_upper: Some((Number::Float(2.5), false)),
        ..Refinements::default()
    });
    let bytes = encode(&number, &Type::Number).unwrap();
    assert_eq!(
        bytes,
        hex("c7 13 0c 83 01 c2 03 92 fb c3 04 92 cb 4004000000000000 c2")
    );
    assert_eq!(decode(&bytes, &Type::Number), Ok(number));
    let big_bounds = Value::Unknown(Refinements {
        number_lower: Some((Number::Big("-1e400".into()), false)),
        number_upper: Some((Number::Float(f64::INFINITY), true)),
        ..Refinements::default()
    });
    round_trip(&big_bounds, &Type::Number);
    let collection = Value::Unknown(Refinements {
        not_null: Some(false),
        length_lower: Some(1),
        length_upper: Some(300),
        ..Refinements::default()
    });
    let bytes = encode(&collection, &Type::list(Type::String)).unwrap();
    assert_eq!(bytes, hex("c7 09 0c 83 01 c3 05 01 06 cd 012c"));
    for ty in [
        Type::list(Type::String),
        Type::set(Type::Number),
        Type::map(Type::Bool),
    ] {
        round_trip(&collection, &ty);
    }
    round_trip(
        &Value::Unknown(Refinements {
            string_prefix: Some("https://".into()),
            ..Refinements::default()
        }),
        &Type::String,
    );
    // Not-null alone on object types.
    round_trip(
        &Value::Unknown(Refinements {
            not_null: Some(true),
            ..Refinements::default()
        }),
        &Type::object([("a", Type::String)]),
    );
    // An empty prefix is no refinement at all.
    let empty = Value::Unknown(Refinements {
        string_prefix: Some(String::new()),
        ..Refinements::default()
    });
    assert_eq!(encode(&empty, &Type::String).unwrap(), hex("d4 00 00"));
    // Long prefixes are truncated to 256 bytes at a char boundary.
    let long = Value::Unknown(Refinements {
        string_prefix: Some(format!("{}é{}", "a".repeat(255), "b".repeat(100))),
        ..Refinements::default()
    });
    let decoded = decode(&encode(&long, &Type::String).unwrap(), &Type::String).unwrap();
    assert_eq!(
        decoded,
        Value::Unknown(Refinements {
            string_prefix: Some("a".repeat(255)),
            ..Refinements::default()
        })
    );
    // Refinements that cannot apply to the type are refused on encode.
    assert!(encode(&long, &Type::Number).is_err());
    assert!(encode(&collection, &Type::String).is_err());
    assert!(encode(&collection, &Type::tuple(vec![])).is_err());
    assert!(encode(
        &Value::Unknown(Refinements {
            number_lower: Some((Number::Int(1), true)),
            ..Refinements::default()
        }),
        &Type::String
    )
    .is_err());
}

#[test]
fn malformed_refinements() {
    let cases = [
        "c7 02 0c 01 c2",             // not a map
        "c7 03 0c 81 c2 c2",          // non-integer key
        "c7 03 0c 81 01 01",          // nullness not a bool
        "c7 03 0c 81 02 01",          // prefix not a string
        "c7 04 0c 81 03 91 01",       // bound not a pair
        "c7 05 0c 81 03 92 c0 c3",    // bound null
        "c7 05 0c 81 03 92 d4 00 00", // truncated: bound pair cut
        "c7 03 0c 81 05 ff",          // negative length (wrong type anyway)
        "c7 05 0c 82 01 c2 07",       // truncated entry
    ];
    for bytes in cases {
        assert!(decode(&hex(bytes), &Type::Number).is_err(), "{bytes}");
    }
    // Refinements for another type are refused, as cty does.
    assert!(decode(&hex("c7 04 0c 81 02 a1 61"), &Type::Number).is_err());
    assert!(decode(&hex("c7 03 0c 81 05 01"), &Type::String).is_err());
    assert!(decode(&hex("c7 03 0c 81 05 ff"), &Type::list(Type::String)).is_err());
    assert!(decode(&hex("c7 06 0c 81 03 92 01 c3"), &Type::String).is_err());
    // Unknown keys are skipped, whatever their value's shape.
    let bytes = hex("c7 0e 0c 82 63 92 81 a1 61 c4 01 ff d4 00 00 01 c2");
    assert_eq!(
        decode(&bytes, &Type::String),
        Ok(Value::Unknown(Refinements {
            not_null: Some(true),
            ..Refinements::default()
        }))
    );
    // Payloads over 1024 bytes are refused; exactly 1024 is fine.
    let mut ok = hex("c8 0400 0c 81 01 c2");
    ok.resize(4 + 1024, 0);
    assert!(decode(&ok, &Type::String).is_ok());
    let mut too_big = hex("c8 0401 0c 81 01 c2");
    too_big.resize(4 + 1025, 0);
    assert!(decode(&too_big, &Type::String).is_err());
}

#[test]
fn wrong_shapes_report_paths() {
    let ty = Type::object([(
        "items",
        Type::list(Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::Number)),
            ("pair", Type::tuple(vec![Type::String, Type::Bool])),
        ])),
    )]);
    let item = |name: Value, tags: Value, pair: Value| {
        Value::object([("name", name), ("tags", tags), ("pair", pair)])
    };
    let good = item(Value::from("a"), Value::Null, Value::Null);

    let bad = Value::object([(
        "items",
        Value::List(vec![
            good.clone(),
            item(Value::Map(BTreeMap::new()), Value::Null, Value::Null),
        ]),
    )]);
    let err = encode(&bad, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attribute("items")
            .then_index(1)
            .then_attribute("name")
    );
    assert_eq!(err.message, "expected a string, found a map");
    assert_eq!(
        err.to_string(),
        "items[1].name: expected a string, found a map"
    );

    let bad_tags = Value::Map(BTreeMap::from([("k".to_string(), Value::from("x"))]));
    let bad = Value::object([(
        "items",
        Value::List(vec![item(Value::from("a"), bad_tags, Value::Null)]),
    )]);
    let err = encode(&bad, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attribute("items")
            .then_index(0)
            .then_attribute("tags")
            .then_key("k")
    );
    assert_eq!(err.message, "expected a number, found a string");

    let bad = Value::object([(
        "items",
        Value::List(vec![item(
            Value::from("a"),
            Value::Null,
            Value::Tuple(vec![Value::from("x")]),
        )]),
    )]);
    let err = encode(&bad, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attribute("items")
            .then_index(0)
            .then_attribute("pair")
    );

    let bad = Value::object([(
        "items",
        Value::List(vec![Value::object([("foo", Value::from(1))])]),
    )]);
    let err = encode(&bad, &ty).unwrap_err();
    assert_eq!(err.path, AttributePath::attribute("items").then_index(0));
    assert_eq!(err.message, "object has no attribute \"foo\"");

    // Decoding: a string where a bool belongs, deep inside.
    let mut bytes = encode(
        &Value::object([("items", Value::List(vec![good.clone(), good.clone()]))]),
        &ty,
    )
    .unwrap();
    // Replace the second item's name "a" (a1 61) with an int, then expect a path.
    let pos = bytes.windows(2).rposition(|w| w == [0xa1, 0x61]).unwrap();
    bytes.splice(pos..pos + 2, [0x07]);
    let err = decode(&bytes, &ty).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::attribute("items")
            .then_index(1)
            .then_attribute("name")
    );
    assert_eq!(err.message, "expected a string, found a number");

    let err = decode(
        &hex("81 a3 666f6f 01"),
        &Type::object([("a", Type::Number)]),
    )
    .unwrap_err();
    assert_eq!(err.message, "object has no attribute \"foo\"");
    assert!(err.path.is_root());
    let err = decode(
        &hex("81 a161 81 01 02"),
        &Type::object([("a", Type::map(Type::Number))]),
    )
    .unwrap_err();
    assert_eq!(err.path, AttributePath::attribute("a"));
    assert!(
        err.message.contains("keys must be strings"),
        "{}",
        err.message
    );
    let err = decode(&hex("92 a161 a162"), &Type::tuple(vec![Type::String])).unwrap_err();
    assert!(err.message.contains("tuple of 1"), "{}", err.message);
    assert!(decode(
        &hex("82 a161 01 a161 02"),
        &Type::object([("a", Type::Number)])
    )
    .is_err());
    assert!(decode(&hex("82 a161 01 a161 02"), &Type::map(Type::Number)).is_err());
    assert!(decode(&hex("81 a161 01"), &Type::list(Type::Number)).is_err());
    assert!(decode(&hex("91 01"), &Type::object([("a", Type::Number)])).is_err());
    assert!(decode(&hex("c1"), &Type::String).is_err());
    let err = decode(&hex("c3"), &Type::String).unwrap_err();
    assert_eq!(err.message, "expected a string, found a bool");
    // Encoding: tuple length and type mismatches.
    assert!(encode(&Value::Tuple(vec![]), &Type::tuple(vec![Type::String])).is_err());
    assert!(encode(&Value::from(1), &Type::String).is_err());
    assert!(encode(&Value::from("1"), &Type::Number).is_err());
    assert!(encode(&Value::from("x"), &Type::list(Type::String)).is_err());
    assert!(encode(&Value::List(vec![]), &Type::map(Type::String)).is_err());
}

#[test]
fn trailing_and_truncated_input() {
    let ty = Type::object([
        ("input", Type::String),
        ("num", Type::Number),
        ("id", Type::String),
    ]);
    let full = hex("83 a2 69 64 c0 a5 69 6e 70 75 74 a3 61 62 63 a3 6e 75 6d 03");
    for cut in 0..full.len() {
        let err = decode(&full[..cut], &ty);
        assert!(err.is_err(), "prefix of {cut} bytes decoded");
    }
    let mut trailing = full.clone();
    trailing.push(0xc0);
    let err = decode(&trailing, &ty).unwrap_err();
    assert!(err.message.contains("trailing"), "{}", err.message);
    // Declared sizes far beyond the input are refused without allocating for them.
    for bytes in [
        "dd ffffffff",
        "df ffffffff",
        "db ffffffff 61",
        "c6 ffffffff",
        "c9 ffffffff 0c",
    ] {
        assert!(
            decode(&hex(bytes), &Type::list(Type::String)).is_err(),
            "{bytes}"
        );
        assert!(
            decode(&hex(bytes), &Type::map(Type::String)).is_err(),
            "{bytes}"
        );
        assert!(decode(&hex(bytes), &Type::String).is_err(), "{bytes}");
    }
}

#[test]
fn depth_limit() {
    let mut ty = Type::String;
    let mut value = Value::from("x");
    for _ in 0..MAX_DEPTH {
        ty = Type::list(ty);
        value = Value::List(vec![value]);
    }
    round_trip(&value, &ty);
    let deeper_type = Type::list(ty);
    let deeper_value = Value::List(vec![value]);
    let err = encode(&deeper_value, &deeper_type).unwrap_err();
    assert!(err.message.contains("nested"), "{}", err.message);
    let mut bytes = vec![0x91; MAX_DEPTH + 1];
    bytes.extend_from_slice(&hex("a1 78"));
    let err = decode(&bytes, &deeper_type).unwrap_err();
    assert!(err.message.contains("nested"), "{}", err.message);
    // Dynamic wrappers nested in dynamic wrappers count too (type JSON "dynamic").
    let mut bytes = Vec::new();
    for _ in 0..200 {
        bytes.extend_from_slice(&hex("92 c4 09 2264796e616d696322"));
    }
    bytes.push(0xc0);
    let err = decode(&bytes, &Type::Dynamic).unwrap_err();
    assert!(err.message.contains("nested"), "{}", err.message);
    // Deeply nested arrays inside an ignored refinement are skipped without recursion.
    let mut payload = hex("82 63");
    payload.extend(std::iter::repeat_n(0x91, 900));
    payload.push(0xc0);
    payload.extend_from_slice(&hex("01 c2"));
    let mut bytes = hex("c8");
    bytes.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
    bytes.push(0x0c);
    bytes.extend_from_slice(&payload);
    assert!(decode(&bytes, &Type::String).is_ok());
}

#[test]
fn size_limit() {
    use crate::plugin::codec::limits::MAX_VALUE_BYTES;
    // A str32 whose total encoding is one byte over the limit: refused before decoding.
    let body = MAX_VALUE_BYTES - 4;
    let mut bytes = vec![0xdb];
    bytes.extend_from_slice(&u32::try_from(body).unwrap().to_be_bytes());
    bytes.resize(MAX_VALUE_BYTES + 1, b'x');
    let err = decode(&bytes, &Type::String).unwrap_err();
    assert!(err.path.is_root());
    assert!(err.message.contains("bytes allowed"), "{}", err.message);
    // At the limit exactly it decodes.
    bytes.pop();
    bytes[1..5].copy_from_slice(&u32::try_from(body - 1).unwrap().to_be_bytes());
    let value = decode(&bytes, &Type::String).unwrap();
    assert_eq!(value.as_str().map(str::len), Some(body - 1));
}

#[test]
fn item_limit() {
    use crate::plugin::codec::limits::MAX_VALUE_ITEMS;
    let list_of_nils = |count: usize| {
        let mut bytes = vec![0xdd];
        bytes.extend_from_slice(&u32::try_from(count).unwrap().to_be_bytes());
        bytes.resize(5 + count, 0xc0);
        bytes
    };
    // The list itself counts, so MAX_VALUE_ITEMS - 1 elements fit and one more does not.
    let ty = Type::list(Type::String);
    assert!(decode(&list_of_nils(MAX_VALUE_ITEMS - 1), &ty).is_ok());
    let err = decode(&list_of_nils(MAX_VALUE_ITEMS), &ty).unwrap_err();
    assert!(err.message.contains("more than"), "{}", err.message);
    // Absent attributes filled in as null count too: a 1 KiB type of 100
    // attributes and 11,000 one-byte empty objects would make 1.1M values.
    let attributes: Vec<String> = (0..100).map(|i| format!("a{i}")).collect();
    let ty = Type::list(Type::object(
        attributes.iter().map(|name| (name.clone(), Type::Bool)),
    ));
    let mut bytes = vec![0xdd];
    bytes.extend_from_slice(&11_000u32.to_be_bytes());
    bytes.resize(5 + 11_000, 0x80);
    let err = decode(&bytes, &ty).unwrap_err();
    assert!(err.message.contains("more than"), "{}", err.message);
    bytes.truncate(5 + 1_000);
    bytes[1..5].copy_from_slice(&1_000u32.to_be_bytes());
    assert!(decode(&bytes, &ty).is_ok());
}

#[test]
fn random_bytes_never_panic() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let types = [
        Type::Dynamic,
        Type::String,
        Type::Number,
        Type::object([
            ("a", Type::list(Type::Dynamic)),
            ("b", Type::map(Type::Number)),
            ("c", Type::tuple(vec![Type::String, Type::set(Type::Bool)])),
        ]),
    ];
    // Purely random inputs, biased towards interesting markers.
    let markers = [
        0x92, 0xc4, 0xc7, 0xd4, 0x81, 0xa1, 0x0c, 0xdd, 0xdf, 0xc9, 0xcb, 0xc0,
    ];
    for _ in 0..30_000 {
        let len = usize::try_from(next() % 48).unwrap_or(0);
        let input: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 3 == 0 {
                    markers[usize::try_from(r % 12).unwrap_or(0)]
                } else {
                    (r >> 8) as u8
                }
            })
            .collect();
        for ty in &types {
            let _ = decode(&input, ty);
        }
    }
    // Mutations and truncations of valid encodings.
    let ty = Type::object([
        ("d", Type::Dynamic),
        ("l", Type::list(Type::object([("x", Type::Number)]))),
        ("u", Type::String),
    ]);
    let value = Value::object([
        (
            "d",
            Value::object([("k", Value::List(vec![Value::from(1.5), Value::Null]))]),
        ),
        (
            "l",
            Value::List(vec![Value::object([(
                "x",
                Value::Number(Number::Big("1e400".into())),
            )])]),
        ),
        (
            "u",
            Value::Unknown(Refinements {
                not_null: Some(true),
                string_prefix: Some("pre-".into()),
                ..Refinements::default()
            }),
        ),
    ]);
    let valid = encode(&value, &ty).unwrap();
    assert_eq!(decode(&valid, &ty).unwrap(), value);
    for cut in 0..valid.len() {
        assert!(decode(&valid[..cut], &ty).is_err());
    }
    for _ in 0..20_000 {
        let mut input = valid.clone();
        for _ in 0..(next() % 4 + 1) {
            let at = usize::try_from(next()).unwrap_or(0) % input.len();
            input[at] = (next() >> 16) as u8;
        }
        let _ = decode(&input, &ty);
        let _ = decode(&input, &Type::Dynamic);
    }
}
