#!/usr/bin/env python3
"""Lays out the fuzz targets' corpus in fuzz/corpus/<target>/, where
`cargo fuzz run <target>` reads and grows it (git-ignored).

usage: python3 fuzz/seeds.py          write the hand-made seeds (seed-*) and
                                      unpack the committed corpus
       python3 fuzz/seeds.py --pack   after `cargo fuzz cmin`: rewrite the
                                      committed archives from the folders

The committed corpus is one archive per target, fuzz/corpus/<target>.tar.xz:
the inputs earlier fuzzing runs found and `cargo fuzz cmin` kept (named by
their SHA-1, as libFuzzer names them), less anything this script writes
itself. Unpacking adds what is missing and leaves the folder's other files
alone. Packing is reproducible (sorted, no times or owners). Uses the
standard library only; the msgpack writer below covers just what the seeds
need.
"""

import hashlib
import io
import json
import lzma
import os
import re
import struct
import sys
import tarfile

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")
# What an archive may hold: libFuzzer's names for the inputs it keeps.
MEMBER = re.compile(r"^[0-9a-f]{40}$")


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


SEEDS = {
    "msgpack_decode": MSGPACK,
    "json_value": JSON_VALUES,
    "type_json": TYPES,
    "api_response": API,
}


def as_bytes(data):
    return data.encode() if isinstance(data, str) else data


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    data = as_bytes(data)
    digest = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, f"seed-{name}-{digest[:8]}"), "wb") as f:
        f.write(data)


def archive_path(target):
    return os.path.join(CORPUS, f"{target}.tar.xz")


def unpack(target):
    """Writes the archive's inputs missing from the target's folder; returns how many."""
    path = archive_path(target)
    if not os.path.isfile(path):
        return 0
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    added = 0
    with tarfile.open(path, "r:xz") as archive:
        for member in archive:
            # Only plain files named as libFuzzer names them: nothing that
            # could land outside the folder.
            if not member.isfile() or not MEMBER.match(member.name):
                sys.exit(f"seeds: {path} holds {member.name!r}, which is not a corpus input")
            destination = os.path.join(directory, member.name)
            if os.path.exists(destination):
                continue
            data = archive.extractfile(member).read()
            if hashlib.sha1(data).hexdigest() != member.name:
                sys.exit(f"seeds: {path}: {member.name} does not hold the input its name says")
            with open(destination, "wb") as f:
                f.write(data)
            added += 1
    return added


def pack(target):
    """Rewrites the target's archive from its folder, less the seeds; returns how many it holds."""
    directory = os.path.join(CORPUS, target)
    if not os.path.isdir(directory):
        sys.exit(f"seeds: no {directory} to pack; run python3 fuzz/seeds.py first")
    seeds = {hashlib.sha1(as_bytes(data)).hexdigest() for data in SEEDS[target].values()}
    inputs = {}
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if name.startswith("seed-") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        digest = hashlib.sha1(data).hexdigest()
        if digest not in seeds:
            inputs[digest] = data
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(inputs):
            info = tarfile.TarInfo(name)
            info.size = len(inputs[name])
            info.mode = 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(inputs[name]))
    staged = archive_path(target) + ".new"
    with open(staged, "wb") as f:
        f.write(lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME))
    os.replace(staged, archive_path(target))
    return len(inputs)


def main(argv):
    if argv[1:] == ["--pack"]:
        for target in sorted(SEEDS):
            print(f"seeds: fuzz/corpus/{target}.tar.xz: {pack(target)} inputs")
        return
    if argv[1:]:
        sys.exit("usage: python3 fuzz/seeds.py [--pack]")
    for target in sorted(SEEDS):
        for name, data in SEEDS[target].items():
            write(target, name, data)
        added = unpack(target)
        print(f"seeds: fuzz/corpus/{target}/: {len(SEEDS[target])} seeds, {added} inputs unpacked")


if __name__ == "__main__":
    main(sys.argv)
