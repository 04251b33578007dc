"""`env.DB` for a D1 binding: statements are built in Python and cross into JS once per
execution, as JSON text, and rows come back as JSON text.

The generic binding proxy would cross for every method call and walk every result object
property by property (a few microseconds per crossing); a point select spent more time
there than in SQLite. Behaviour and error texts are the JS binding's (workerd's D1Database):
errors still surface as pyodide.ffi.JsException raised by the JS side.
"""

import base64
import json
import math

from pyodide.code import run_js

from ._convert import JsDict, to_js_value, to_python

_throw = run_js("(kind, message) => { throw new globalThis[kind](message); }")
# The JS binding's own wording, from the value as JS sees it ("Type 'object' ...").
_type_error = run_js("""(v) => {
  throw new TypeError(`D1_TYPE_ERROR: Type '${typeof v}' not supported for value '${String(v)}'`);
}""")


def _encode(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"float": repr(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    _type_error(to_js_value(value))


def _rows(result):
    columns = result["columns"]
    return [JsDict(zip(columns, row)) for row in result["rows"]]


def _full(result):
    return JsDict(success=True, results=_rows(result), meta=JsDict(result["meta"]))


class D1PreparedStatement:
    __slots__ = ("_db", "_sql", "_params")

    def __init__(self, db, sql, params):
        self._db = db
        self._sql = sql
        self._params = params

    def bind(self, *values):
        return D1PreparedStatement(self._db, self._sql, tuple(_encode(v) for v in values))

    async def _one(self):
        return (await self._db._run([self]))[0]

    async def first(self, column=None):
        result = await self._one()
        if not result["rows"]:
            return None
        if column is None:
            return _rows(result)[0]
        columns = result["columns"]
        if column not in columns:
            _throw("Error", f"D1_COLUMN_NOTFOUND: Column not found ({column})")
        return result["rows"][0][len(columns) - 1 - columns[::-1].index(column)]

    async def all(self):
        return _full(await self._one())

    async def run(self):
        return _full(await self._one())

    async def raw(self, options=None, *, columnNames=False):
        result = await self._one()
        if (options or {}).get("columnNames") or columnNames:
            return [list(result["columns"])] + result["rows"]
        return result["rows"]

    @property
    def statement(self):
        return self._sql

    def __repr__(self):
        return f"<D1PreparedStatement {self._sql!r}>"


class D1Database:
    __slots__ = ("_js",)

    def __init__(self, js_db):
        self._js = js_db

    @property
    def js_object(self):
        return self._js

    def prepare(self, query):
        return D1PreparedStatement(self, str(query), ())

    async def _run(self, statements):
        text = json.dumps([[s._sql, list(s._params)] for s in statements])
        out = self._js._kilnRunJson(text)
        # A read answers at once (a str); anything else is a promise to await.
        return json.loads(out if isinstance(out, str) else await out)

    async def batch(self, statements):
        statements = list(statements)
        if not all(isinstance(s, D1PreparedStatement) for s in statements):
            _throw("TypeError", "D1Database.batch() expects an array of D1PreparedStatement objects.")
        if not statements:
            return []
        return [_full(r) for r in await self._run(statements)]

    async def exec(self, query):
        return to_python(await self._js.exec(str(query)))

    async def dump(self):
        return to_python(await self._js.dump())

    def withSession(self, *args):
        return self

    def __repr__(self):
        return "<D1Database (Kiln)>"
