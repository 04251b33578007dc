"""`env.NS` for a KV binding: the generic binding proxy, plus a fast path for the common
single-key `get` (text or json) that reads without awaiting a JS promise.

Awaiting a JS promise from Python costs tens of microseconds in Pyodide, more than the
SQLite read behind it; every other call shape goes through the JS binding unchanged.
"""

import json

from ._convert import BindingProxy, JsDict, call_js, is_null


class KVNamespace(BindingProxy):
    __slots__ = ("_get_text",)

    def __init__(self, js_obj):
        super().__init__(js_obj)
        # Looked up once: reading a JS property from Python costs a microsecond or two.
        object.__setattr__(self, "_get_text", js_obj._kilnGetText)

    async def get(self, key, type=None, **kwargs):
        if not kwargs and type is None and isinstance(key, str):  # the common call, first
            text = object.__getattribute__(self, "_get_text")(key)
            return None if is_null(text) else text
        js_kv = object.__getattribute__(self, "_js")
        kind = type.get("type") if isinstance(type, dict) else type
        if kwargs.keys() <= {"type"}:
            kind = kwargs.get("type", kind)
            if isinstance(key, str) and kind in (None, "text", "json"):
                text = object.__getattribute__(self, "_get_text")(key)
                if is_null(text):
                    return None
                if kind != "json":
                    return text
                return json.loads(text, object_hook=JsDict)
        args = (key,) if type is None else (key, type)
        return await call_js(js_kv.get, args, kwargs, "get")
