"""`env.DB` for a D1 binding: statements are built in Python and run with one call into the
host, rows coming back as JSON text.

The generic binding proxy would cross for every method call and walk every result object
property by property (a few microseconds per crossing); a point select spent more time
there than in SQLite. A single statement calls the host op directly with its parameters
as arguments; a batch crosses as one JSON text (runtime/stores/d1json.h). Behaviour and
error texts are the JS binding's (workerd's D1Database): errors still surface as
pyodide.ffi.JsException raised by the JS side.
"""

import base64
import json
import math

from pyodide.code import run_js
from pyodide.ffi import to_js

from ._convert import JsDict, to_js_value, to_python

_throw = run_js("(kind, message) => { throw new globalThis[kind](message); }")
# The JS binding's own wording, from the value as JS sees it ("Type 'object' ...").
_type_error = run_js("""(v) => {
  throw new TypeError(`D1_TYPE_ERROR: Type '${typeof v}' not supported for value '${String(v)}'`);
}""")
_BYTES = (bytes, bytearray, memoryview)
# Values that need neither a check nor a conversion to cross to the host or into JSON
# (a float may be inf or nan, which JSON cannot carry).
_PLAIN_TYPES = frozenset((int, str, bool, type(None)))


def _check(value):
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, _BYTES):
        return bytes(value)
    _type_error(to_js_value(value))


def _as_js(value):
    # What the host op takes as an argument: Pyodide passes the rest as they are.
    return to_js(value) if type(value) is bytes else value


def _as_json(value):
    if type(value) is bytes:
        return {"b64": base64.b64encode(value).decode("ascii")}
    if type(value) is float and not math.isfinite(value):
        return {"float": repr(value)}
    return value


# The C scanner behind json.loads, without json.loads' Python-level checks (a point select
# spent more time in them than parsing): the host's JSON is well formed.
_scan = json.decoder.JSONDecoder().scan_once


def _parse(text):
    return _scan(text, 0)[0]


def _rows(result):
    columns = result["columns"]
    return [JsDict(zip(columns, row)) for row in result["rows"]]


def _full(result):
    return JsDict(success=True, results=_rows(result), meta=JsDict(result["meta"]))


class D1PreparedStatement:
    __slots__ = ("_db", "_sql", "_params", "_plain", "_ref")

    def __init__(self, db, sql, params, plain=True, ref=None):
        self._db = db
        self._sql = sql
        self._params = params
        self._plain = plain  # no bytes, no inf/nan: the parameters cross as they are
        self._ref = ref  # what names the SQL to the host: its id there, or the text

    def bind(self, *values):
        for v in values:
            if type(v) not in _PLAIN_TYPES:
                break
        else:  # the common case, checked in one pass: the values cross as they are
            return D1PreparedStatement(self._db, self._sql, values, True, self._ref)
        params = [_check(v) for v in values]
        plain = not any(type(v) is bytes or (type(v) is float and not math.isfinite(v)) for v in params)
        return D1PreparedStatement(self._db, self._sql, params, plain, self._ref)

    def _call(self, meta):
        # A read answers at once (a str); anything else gives a promise to await.
        params = self._params if self._plain else [_as_js(v) for v in self._params]
        db = self._db
        ref = self._ref
        if ref is None:
            ref = self._ref = db._ref(self._sql)
        return db._query(db._handle, ref, meta, *params)

    async def _one(self, meta):
        out = self._call(meta)
        return _parse(out if type(out) is str else await out)[0]

    async def first(self, column=None):
        out = self._call(False)
        result = _parse(out if type(out) is str else await out)[0]
        rows = result["rows"]
        if not rows:
            return None
        columns = result["columns"]
        if column is None:
            return JsDict(zip(columns, rows[0]))
        if column not in columns:
            _throw("Error", f"D1_COLUMN_NOTFOUND: Column not found ({column})")
        return rows[0][len(columns) - 1 - columns[::-1].index(column)]

    async def all(self):
        return _full(await self._one(True))

    async def run(self):
        return _full(await self._one(True))

    async def raw(self, options=None, *, columnNames=False):
        result = await self._one(False)
        if (options or {}).get("columnNames") or columnNames:
            return [list(result["columns"])] + result["rows"]
        return result["rows"]

    @property
    def statement(self):
        return self._sql

    def __repr__(self):
        return f"<D1PreparedStatement {self._sql!r}>"


class D1Database:
    __slots__ = ("_js", "_run_json", "_query", "_prepare", "_handle", "_refs")

    def __init__(self, js_db):
        self._js = js_db
        # Looked up once: each JS property read from Python costs microseconds.
        self._run_json = js_db._kilnRunJson
        self._query, self._prepare, self._handle = js_db._kilnQueryOps()
        self._refs = {}

    def _ref(self, sql):
        # SQL text crosses to the host once; later runs name it by id (the host stops
        # handing out ids after many distinct texts: those then cross as text).
        ref = self._refs.get(sql)
        if ref is None:
            ref = self._prepare(sql)
            self._refs[sql] = ref = sql if ref < 0 else ref
        return ref

    @property
    def js_object(self):
        return self._js

    def prepare(self, query):
        return D1PreparedStatement(self, str(query), [])

    async def batch(self, statements):
        statements = list(statements)
        if not all(isinstance(s, D1PreparedStatement) for s in statements):
            _throw("TypeError", "D1Database.batch() expects an array of D1PreparedStatement objects.")
        if not statements:
            return []
        text = json.dumps([[s._sql, s._params if s._plain else [_as_json(v) for v in s._params]] for s in statements])
        out = self._run_json(text, True)
        return [_full(r) for r in _parse(out if type(out) is str else await out)]

    async def exec(self, query):
        return to_python(await self._js.exec(str(query)))

    async def dump(self):
        return to_python(await self._js.dump())

    def withSession(self, *args):
        return self

    def __repr__(self):
        return "<D1Database (Kiln)>"
