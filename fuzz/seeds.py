#!/usr/bin/env python3
"""Writes starting inputs for the fuzz targets into fuzz/corpus/<target>/.

Only needed to start a corpus from scratch: the committed corpus already
holds these (or inputs covering the same code). Uses the standard library
only; the msgpack writer below covers just what the seeds need.
"""

import hashlib
import json
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))


def mp(value):
    """msgpack bytes of a Python value; `bytes` become bin, Ext(...) extension values."""
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, Ext):
        n = len(value.payload)
        fixed = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}
        if n in fixed:
            head = bytes([fixed[n]])
        else:
            head = b"\xc7" + bytes([n])
        return head + struct.pack(">b", value.code) + value.payload
    if isinstance(value, int):
        if 0 <= value < 128:
            return bytes([value])
        if -32 <= value < 0:
            return struct.pack(">b", value)
        if 0 <= value < 2**16:
            return b"\xcd" + struct.pack(">H", value)
        if 0 <= value < 2**64:
            return b"\xcf" + struct.pack(">Q", value)
        return b"\xd3" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode()
        if len(raw) < 32:
            return bytes([0xA0 | len(raw)]) + raw
        return b"\xd9" + bytes([len(raw)]) + raw
    if isinstance(value, bytes):
        return b"\xc4" + bytes([len(value)]) + value
    if isinstance(value, list):
        if len(value) < 16:
            head = bytes([0x90 | len(value)])
        else:
            head = b"\xdc" + struct.pack(">H", len(value))
        return head + b"".join(mp(v) for v in value)
    if isinstance(value, dict):
        head = bytes([0x80 | len(value)])
        return head + b"".join(mp(k) + mp(v) for k, v in value.items())
    raise TypeError(value)


class Ext:
    """A msgpack extension value."""

    def __init__(self, code, payload):
        self.code = code
        self.payload = payload


def dyn(type_json, value):
    """A dynamically-typed value: [type JSON as bin, value]."""
    return [json.dumps(type_json, separators=(",", ":")).encode(), value]


UNKNOWN = Ext(0, b"\x00")
REFINED_STRING = Ext(12, mp({1: False, 2: "https://"}))
REFINED_NUMBER = Ext(12, mp({3: [0, True], 4: ["1e400", False]}))
REFINED_LIST = Ext(12, mp({5: 1, 6: 10}))

CONNECTOR = {
    "account_id": "023e105f4ecef8ad9ca31a8372d0c353",
    "created_on": "2025-01-01T12:21:02.0000Z",
    "email_domain": "example.com",
    "enabled": True,
    "id": "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4",
    "sso_connector_id": "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4",
    "updated_on": None,
    "use_fedramp_language": False,
    "verification": {"code": "cloudflare_dashboard_sso=1234", "status": "verified"},
}

SYNTHETIC = {
    "b": True,
    "l": ["a", None, UNKNOWN],
    "m": {"k": dyn("number", 1.5), "u": UNKNOWN},
    "n": "123456789012345678901234567890",
    "o": {"x": [{"y": REFINED_STRING, "z": {"t": True}}]},
    "s": "héllo",
    "st": [1, -7, 2**63, 0.25],
    "t": ["a", REFINED_NUMBER, dyn(["list", "string"], ["x"])],
}

MSGPACK = {
    "connector": mp(CONNECTOR),
    "provider": mp({"api_token": UNKNOWN, "base_url": "http://127.0.0.1:1/client/v4"}),
    "synthetic": mp(SYNTHETIC),
    "dynamic_object": mp(dyn(["object", {"a": "string", "b": ["set", "bool"]}], {"a": "x", "b": [True]})),
    "dynamic_tuple": mp(dyn(["tuple", ["number", "dynamic"]], [1, dyn("bool", False)])),
    "dynamic_map": mp(dyn(["map", ["list", "number"]], {"a": [1, 2], "b": REFINED_LIST})),
    "list_dynamic": mp([dyn("string", "a"), dyn(["list", "dynamic"], []), None, UNKNOWN]),
    "set_objects": mp([{"a": "x", "b": 1}, {"b": "2", "a": None}]),
    "map_lists": mp({"k": [1, 2.5, "3"], "e": REFINED_LIST}),
    "nested_lists": mp([[["a"]], [], [[]]]),
    "unknown": mp(UNKNOWN),
    "null": mp(None),
}

JSON_VALUES = {
    "connector": json.dumps(CONNECTOR),
    "provider": json.dumps({"api_token": "t", "base_url": None}),
    "synthetic": json.dumps({
        "b": "true", "l": ["a", 1, False], "m": {"k": {"type": "number", "value": 1.5}},
        "n": "1e400", "o": {"x": [{"y": "s", "z": {"t": True}}]}, "s": "é",
        "st": [1, -7.5e-3, 18446744073709551616], "t": ["a", 2, {"type": ["list", "string"], "value": ["x"]}],
    }),
    "dynamic": json.dumps({"type": ["object", {"a": "dynamic"}], "value": {"a": {"type": "bool", "value": True}}}),
    "list_dynamic": json.dumps([{"type": "string", "value": "😀"}, None]),
    "set_objects": json.dumps([{"a": "x", "b": 1}, {"b": "2"}]),
    "map_lists": json.dumps({"k": [1, 2.5, "3"]}),
    "nested_lists": json.dumps([[["a"]], [], [[]]]),
}

TYPES = {
    "string": '"string"',
    "nested": '["list",["set",["map",["object",{"a":"dynamic","b":["tuple",["number","bool"]]}]]]]',
    "optional": '["object",{"a":"string","b":"number"},["b"]]',
    "tuple": '["tuple",[]]',
    "escapes": '["object",{"\\u0061\\n":"bool","\\ud83d\\ude00":"string"}]',
    "spaces": ' [ "map" , "bool" ] ',
}

API = {
    "ok": json.dumps({"errors": [], "messages": [], "success": True, "result": CONNECTOR, "result_info": {"count": 1, "page": 1}}),
    "error": json.dumps({"success": False, "errors": [{"code": 10000, "message": "Authentication error"}], "messages": [], "result": None}),
    "partial": json.dumps({"success": True, "result": {"id": "x", "verification": None, "created_on": "2025-03-04T05:06:07.5000+02:00"}}),
    "html": "<html><body>502 Bad Gateway</body></html>\n\x01",
    "list": json.dumps({"success": True, "errors": [], "result": [CONNECTOR, {"id": "x"}, {"id": "x"}, {}], "result_info": {"page": 1, "per_page": 50, "count": 4, "total_count": 4, "total_pages": 1}}),
    "list_empty": json.dumps({"success": True, "result": [], "result_info": None}),
}


def write(target, name, data):
    directory = os.path.join(ROOT, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    digest = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, f"seed-{name}-{digest[:8]}"), "wb") as f:
        f.write(data)


def main():
    for name, data in MSGPACK.items():
        write("msgpack_decode", name, data)
    for name, data in JSON_VALUES.items():
        write("json_value", name, data)
    for name, data in TYPES.items():
        write("type_json", name, data)
    for name, data in API.items():
        write("api_response", name, data)


if __name__ == "__main__":
    main()
