"""Blob and File, as Cloudflare's `workers` package has them: thin classes over JS Blob/File."""

from contextlib import ExitStack, contextmanager
from enum import StrEnum

import js
from pyodide.ffi import to_js

from .utils import _is_iterable, _lend_buffer, _manage_pyproxies, _supports_buffer_protocol

BlobValue = "str | bytes | js.ArrayBuffer | js.TypedArray | js.DataView | js.Blob | Blob | File"


class BlobEnding(StrEnum):
    TRANSPARENT = "transparent"
    NATIVE = "native"


def _is_js_blob(value):
    return hasattr(value, "constructor") and value.constructor.name in ("Blob", "File")


@contextmanager
def _blob_part(part):
    """One part as JS takes it; a buffer is lent to JS for the constructor call only."""
    if isinstance(part, str):
        yield part
    elif isinstance(part, Blob):
        yield part._js_blob
    elif _is_js_blob(part):
        yield part
    elif _supports_buffer_protocol(part):
        with _lend_buffer(part) as data:
            yield data
    else:
        raise TypeError(f"Don't know how to handle {type(part)} for Blob()")


def _js_parts(blob_parts, make):
    with ExitStack() as stack:
        parts = [stack.enter_context(_blob_part(part)) for part in blob_parts]
        with _manage_pyproxies() as pyproxies:
            return make(to_js(parts, pyproxies=pyproxies))


class Blob:
    """`Blob(blob_parts, content_type=None, endings=None)`: blob_parts is one part or an
    iterable of str, bytes-like, Blob/File (these or JS ones). A single Blob part lends its
    content type."""

    def __init__(self, blob_parts, content_type=None, endings=None):
        if endings:
            endings = str(endings)
        if not _is_iterable(blob_parts):
            if not content_type and isinstance(blob_parts, Blob):
                content_type = blob_parts.content_type
            if _is_js_blob(blob_parts) and not content_type:
                content_type = blob_parts.type
            blob_parts = [blob_parts]
        self._js_blob = _js_parts(
            blob_parts, lambda parts: js.Blob.new(parts, type=content_type, endings=endings))

    @property
    def size(self):
        return self._js_blob.size

    @property
    def content_type(self):
        return self._js_blob.type

    @property
    def js_object(self):
        return self._js_blob

    async def text(self):
        return await self.js_object.text()

    async def bytes(self):
        return (await self.js_object.arrayBuffer()).to_bytes()

    def slice(self, start=None, end=None, content_type=None):
        return Blob([self.js_object.slice(start, end, content_type)])


class File(Blob):
    """`File(blob_parts, filename, content_type=None, endings=None, last_modified=None)`."""

    def __init__(self, blob_parts, filename, content_type=None, endings=None,
                 last_modified=None):
        if endings:
            endings = str(endings)
        if not _is_iterable(blob_parts):
            if not content_type and isinstance(blob_parts, Blob):
                content_type = blob_parts.content_type
            if not last_modified and isinstance(blob_parts, File):
                last_modified = blob_parts.last_modified
            if _is_js_blob(blob_parts):
                if not content_type:
                    content_type = blob_parts.type
                if blob_parts.constructor.name == "File" and not last_modified:
                    last_modified = blob_parts.lastModified
            blob_parts = [blob_parts]
        self._js_blob = _js_parts(blob_parts, lambda parts: js.File.new(
            parts, filename, type=content_type, endings=endings, lastModified=last_modified))

    @property
    def name(self):
        return self._js_blob.name

    @property
    def last_modified(self):
        return self._js_blob.lastModified
