"""FormData, as Cloudflare's `workers` package has it: a MutableMapping over JS FormData.

Its edges are Cloudflare's too: a missing key reads as JS null (not KeyError), len()
is a TypeError, deleting a missing key is silent, and a non-str, non-Blob value is
stringified by JS."""

from collections.abc import MutableMapping

import js

from .blob import Blob, File
from .utils import _is_js_instance

FormDataValue = "str | js.Blob | Blob"


def _to_js_value(item):
    return item.js_object if isinstance(item, Blob) else item


def _to_py_value(item):
    name = item.constructor.name if hasattr(item, "constructor") else None
    if name == "File":
        return File(item, item.name)
    if name == "Blob":
        return Blob(item)
    return item


class FormData(MutableMapping):
    """`FormData()`, `FormData({"name": value, ...})` or `FormData(js_form_data)`."""

    def __init__(self, form_data=None):
        if not form_data:
            self._js_form_data = js.FormData.new()
        elif isinstance(form_data, dict):
            self._js_form_data = js.FormData.new()
            for key, value in form_data.items():
                self._js_form_data.append(key, _to_js_value(value))
        elif _is_js_instance(form_data, "FormData"):
            self._js_form_data = form_data
        else:
            raise TypeError("Expected form_data to be a dict or an instance of FormData")

    def __getitem__(self, key):
        return _to_py_value(self._js_form_data.get(key))

    def __setitem__(self, key, value):
        if isinstance(value, list):
            raise TypeError("Expected single item in arguments to FormData.__setitem__")
        self._js_form_data.set(key, _to_js_value(value))

    def append(self, key, value, filename=None):
        self._js_form_data.append(key, _to_js_value(value), filename)

    def delete(self, key):
        self._js_form_data.delete(key)

    def __delitem__(self, key):
        self.delete(key)

    def __contains__(self, key):
        return self._js_form_data.has(key)

    def keys(self):
        yield from self._js_form_data.keys()

    def values(self):
        for value in self._js_form_data.values():
            yield _to_py_value(value)

    def items(self):
        for key, value in self._js_form_data.entries():
            yield (key, _to_py_value(value))

    def __iter__(self):
        yield from self.keys()

    def __len__(self):
        # Cloudflare's FormData measures its keys() generator, which has no len().
        return len(self.keys())

    def get_all(self, key):
        return [_to_py_value(value) for value in self._js_form_data.getAll(key)]

    @property
    def js_object(self):
        return self._js_form_data
