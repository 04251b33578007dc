"""Kiln's own: env.DB's statements kept in Python until they run (issue 17). A D1 query from
Python (`await env.DB.prepare(sql).bind(...).first()`) is then one trip into JS, where the
general binding wrapper makes three, each answering a JS object Python must wrap."""

from .rpc import _BindingWrapper, python_to_rpc
from .utils import _call_statement, jsnull

_MAX_SAFE_INTEGER = 2**53 - 1


def _plain_params(values):
    """`values` as bind() hands them to JS (python_to_rpc: None as null), when D1's bind() takes
    each as it is (its checkValue cannot refuse it); else None."""
    params = []
    for value in values:
        kind = type(value)
        if kind is str or kind is float or kind is bool or (
                kind is int and -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER):
            params.append(value)
        elif value is None:
            params.append(jsnull)
        else:
            return None
    return tuple(params)


class _D1DatabaseWrapper(_BindingWrapper):
    """env.DB (one of Kiln's own D1Database objects): prepare(sql) with a str answers a
    _D1StatementWrapper; everything else as any binding wrapper."""

    _kiln_class = "D1Database"
    _wraps_alike = False

    def prepare(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and type(args[0]) is str:
            return _D1StatementWrapper._of(self._binding, args[0], ())
        return self._kiln_method("prepare")(*args, **kwargs)


class _D1StatementWrapper(_BindingWrapper):
    """A D1PreparedStatement as its SQL text and parameters (bind() with values its checkValue
    takes as they are) until first(), all(), run() or raw(), which make and run it in one trip
    (the entrypoint helper's callStatement): the same JS calls, in the same order, as the
    general path makes one by one. Anything else makes the JS statement (`_binding`) at once
    and goes on as any binding wrapper."""

    _kiln_class = "D1PreparedStatement"
    _wraps_alike = False
    _made = None  # the JS statement, once something needed it

    @classmethod
    def _of(cls, db, sql, params):
        self = object.__new__(cls)
        self._db, self._sql, self._params = db, sql, params
        return self

    @property
    def _binding(self):
        if self._made is None:
            made = self._db.prepare(self._sql)
            self._made = made.bind(*self._params) if self._params else made
        return self._made

    def bind(self, *values, **kwargs):
        if self._made is None and not kwargs:
            params = _plain_params(values)
            if params is not None:
                return _D1StatementWrapper._of(self._db, self._sql, params)
        return self._kiln_method("bind")(*values, **kwargs)

    def _run(self, name, args, kwargs):
        if self._made is not None or kwargs:
            return self._kiln_method(name)(*args, **kwargs)
        params = self._params
        if args:
            result = _call_statement(self._db, self._sql, name, len(params), *params,
                                     *map(python_to_rpc, args))
        else:  # the common call: one tuple unpacked, not a list built of two (~3 us)
            result = _call_statement(self._db, self._sql, name, len(params), *params)
        return self._rpc_answer(result, name)

    def first(self, *args, **kwargs):
        return self._run("first", args, kwargs)

    def all(self, *args, **kwargs):
        return self._run("all", args, kwargs)

    def run(self, *args, **kwargs):
        return self._run("run", args, kwargs)

    def raw(self, *args, **kwargs):
        return self._run("raw", args, kwargs)
