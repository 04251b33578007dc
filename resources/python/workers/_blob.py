"""Blob, File and FormData: thin Python classes over the JS objects."""

from collections.abc import MutableMapping
from enum import StrEnum

import js
from pyodide.ffi import JsProxy, to_js

from ._convert import is_js_instance, is_null


class BlobEnding(StrEnum):
    TRANSPARENT = "transparent"
    NATIVE = "native"


def _blob_part(part):
    if isinstance(part, str):
        return part
    if isinstance(part, Blob):
        return part.js_object
    if isinstance(part, JsProxy):
        return part  # Blob, File, ArrayBuffer, typed array, DataView
    try:
        with memoryview(part) as view:
            return to_js(view.tobytes())
    except TypeError:
        raise TypeError(f"cannot use {type(part).__name__} as a Blob part") from None


def _parts(blob_parts):
    if isinstance(blob_parts, (str, bytes, bytearray, memoryview, Blob, JsProxy)):
        blob_parts = [blob_parts]
    parts = js.Array.new()
    for part in blob_parts:
        parts.push(_blob_part(part))
    return parts


def _single_js_blob(blob_parts):
    if isinstance(blob_parts, Blob):
        return blob_parts.js_object
    if isinstance(blob_parts, JsProxy) and is_js_instance(blob_parts, "Blob", "File"):
        return blob_parts
    return None


def _options(**entries):
    options = js.Object.new()
    for key, value in entries.items():
        if value is not None:
            js.Reflect.set(options, key, value)
    return options


class Blob:
    """`Blob(blob_parts, content_type=None, endings=None)`.

    Parts may be str, bytes-like, Blob/File (ours or JS), ArrayBuffer or typed arrays;
    a single part may be passed without a list. A single Blob part keeps its type."""

    def __init__(self, blob_parts=(), content_type=None, endings=None):
        single = _single_js_blob(blob_parts)
        if single is not None and not content_type:
            content_type = single.type or None
        self._js = js.Blob.new(_parts(blob_parts), _options(
            type=content_type, endings=str(endings) if endings else None))

    @classmethod
    def _wrap(cls, js_blob):
        self = object.__new__(cls)
        self._js = js_blob
        return self

    @property
    def js_object(self):
        return self._js

    @property
    def size(self):
        return int(self._js.size)

    @property
    def content_type(self):
        return self._js.type

    type = content_type

    async def text(self):
        return await self._js.text()

    async def bytes(self):
        return (await self._js.arrayBuffer()).to_bytes()

    async def buffer(self):
        return await self._js.arrayBuffer()

    array_buffer = buffer

    def stream(self):
        return self._js.stream()

    def slice(self, start=None, end=None, content_type=None):
        args = [0 if start is None else start]
        if end is not None or content_type is not None:
            args.append(self.size if end is None else end)
        if content_type is not None:
            args.append(content_type)
        return Blob._wrap(self._js.slice(*args))

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, content_type={self.content_type!r})"


class File(Blob):
    """`File(blob_parts, filename, content_type=None, endings=None, last_modified=None)`."""

    def __init__(self, blob_parts=(), filename="", content_type=None, endings=None,
                 last_modified=None):
        single = _single_js_blob(blob_parts)
        if single is not None:
            if not content_type:
                content_type = single.type or None
            if last_modified is None and is_js_instance(single, "File"):
                last_modified = single.lastModified
        self._js = js.File.new(_parts(blob_parts), str(filename), _options(
            type=content_type, endings=str(endings) if endings else None,
            lastModified=last_modified))

    @property
    def name(self):
        return self._js.name

    filename = name

    @property
    def last_modified(self):
        return self._js.lastModified


def _value_to_js(value):
    if isinstance(value, Blob):
        return value.js_object
    if isinstance(value, JsProxy):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return js.Blob.new(_parts(value))
    return str(value)


def _value_to_py(value):
    if isinstance(value, JsProxy):
        if is_js_instance(value, "File"):
            return File._wrap(value)
        if is_js_instance(value, "Blob"):
            return Blob._wrap(value)
    return value


class FormData(MutableMapping):
    """A multidict of form fields over a JS FormData. Values are str, Blob or File.

    `form[name]` gives the first value (KeyError when absent), `get_all(name)` all of them,
    `append(name, value, filename=None)` adds one, `form[name] = value` replaces."""

    def __init__(self, form_data=None):
        if form_data is None:
            self._js = js.FormData.new()
        elif isinstance(form_data, FormData):
            self._js = js.FormData.new()
            for key, value in form_data._js.entries():
                self._js.append(key, value)
        elif isinstance(form_data, JsProxy) and is_js_instance(form_data, "FormData"):
            self._js = form_data
        elif hasattr(form_data, "items"):
            self._js = js.FormData.new()
            for key, value in form_data.items():
                for item in value if isinstance(value, list) else [value]:
                    self._js.append(str(key), _value_to_js(item))
        else:
            raise TypeError("FormData expects a dict, a FormData or a JS FormData, "
                            f"not {type(form_data).__name__}")

    @property
    def js_object(self):
        return self._js

    def __getitem__(self, key):
        value = self._js.get(key)
        if is_null(value):
            raise KeyError(key)
        return _value_to_py(value)

    def get(self, key, default=None):
        value = self._js.get(key)
        return default if is_null(value) else _value_to_py(value)

    def get_all(self, key):
        return [_value_to_py(v) for v in self._js.getAll(key)]

    getlist = get_all

    def __setitem__(self, key, value):
        if isinstance(value, list):
            raise TypeError("FormData[key] = value takes one value; use append() for more")
        self._js.set(key, _value_to_js(value))

    def append(self, key, value, filename=None):
        if filename is None:
            self._js.append(key, _value_to_js(value))
        else:
            self._js.append(key, _value_to_js(value), filename)

    def delete(self, key):
        self._js.delete(key)

    def __delitem__(self, key):
        if not self._js.has(key):
            raise KeyError(key)
        self._js.delete(key)

    def __contains__(self, key):
        return isinstance(key, str) and bool(self._js.has(key))

    def keys(self):
        seen = []
        for key in self._js.keys():
            if key not in seen:
                seen.append(key)
        return seen

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def items(self):
        return [(entry[0], _value_to_py(entry[1])) for entry in self._js.entries()]

    def values(self):
        return [value for _, value in self.items()]

    def __repr__(self):
        return f"FormData({self.items()!r})"
