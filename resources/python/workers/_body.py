"""The Fetch body mixin Request and Response share: url, headers, body and its readers,
all over the wrapped JS object in `self._js`."""

from pyodide.ffi import JsException

from ._blob import Blob, FormData
from ._convert import is_null
from ._headers import Headers


def to_python_exception(exc):
    """RangeError -> ValueError and TypeError -> TypeError, as Cloudflare does."""
    name = getattr(exc, "name", "")
    if name == "RangeError":
        return ValueError(exc.message)
    if name == "TypeError":
        return TypeError(exc.message)
    return exc


class Body:
    @property
    def url(self):
        return self._js.url

    @property
    def headers(self):
        return Headers(self._js.headers)

    @property
    def body(self):
        body = self._js.body
        return None if is_null(body) else body

    @property
    def body_used(self):
        return bool(self._js.bodyUsed)

    def _check_unused(self):
        if self._js.bodyUsed:
            raise OSError(f"{type(self).__name__} body is already used")

    async def text(self):
        self._check_unused()
        return await self._js.text()

    async def buffer(self):
        self._check_unused()
        return await self._js.arrayBuffer()

    async def bytes(self):
        return (await self.buffer()).to_bytes()

    async def blob(self):
        self._check_unused()
        return Blob._wrap(await self._js.blob())

    async def form_data(self):
        self._check_unused()
        try:
            return FormData(await self._js.formData())
        except JsException as exc:
            raise to_python_exception(exc) from exc

    formData = form_data
