# A side module made here (a few bytes of wasm, assembled below), as a package's C extension
# would be one: Emscripten's dynamic linker resolves its imports against the main module (a
# function import, a GOT.func entry called through the table, a GOT.mem entry), which Kiln's
# glue serves from the main module's exports made on demand (resources/js/lazyexports.mjs).
import ctypes
import json


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def name(s):
    return leb(len(s)) + s.encode()


def section(id, body):
    return bytes([id]) + leb(len(body)) + body


def vec(items):
    return leb(len(items)) + b"".join(items)


types = vec([b"\x60\x01\x7f\x01\x7f", b"\x60\x00\x01\x7f"])  # (i32) -> i32, () -> i32
imports = vec([
    name("env") + name("strlen") + b"\x00\x00",
    name("GOT.func") + name("PyLong_FromLong") + b"\x03\x7f\x01",
    name("GOT.mem") + name("_Py_NoneStruct") + b"\x03\x7f\x01",
    name("env") + name("__indirect_function_table") + b"\x01\x70\x00\x00",
])
functions = vec([b"\x00", b"\x00", b"\x01"])
exports = vec([
    name("kiln_probe_strlen") + b"\x00\x01",
    name("kiln_probe_long") + b"\x00\x02",
    name("kiln_probe_none") + b"\x00\x03",
])
code = vec([
    leb(6) + b"\x00\x20\x00\x10\x00\x0b",  # strlen(arg)
    leb(9) + b"\x00\x20\x00\x23\x00\x11\x00\x00\x0b",  # (*GOT.func PyLong_FromLong)(arg)
    leb(4) + b"\x00\x23\x01\x0b",  # GOT.mem _Py_NoneStruct
])
dylink = name("dylink.0") + b"\x01" + leb(4) + b"\x00\x00\x00\x00"  # mem info: all zero
module = (b"\x00asm\x01\x00\x00\x00" + section(0, dylink) + section(1, types) +
          section(2, imports) + section(3, functions) + section(7, exports) + section(10, code))


def load():
    with open("/tmp/kiln_probe.so", "wb") as f:
        f.write(module)
    probe = ctypes.CDLL("/tmp/kiln_probe.so")
    probe.kiln_probe_long.restype = ctypes.py_object
    return probe


def answers(probe):
    return json.dumps({
        "strlen": probe.kiln_probe_strlen(b"hello"),
        "long": probe.kiln_probe_long(41),
        "none": probe.kiln_probe_none() == id(None),
    })
