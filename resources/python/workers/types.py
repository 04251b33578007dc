"""The typing names of Cloudflare's `workers` package (for annotations; the aliases are
strings, as there, so they cost nothing at import)."""

from collections.abc import Awaitable
from http import HTTPMethod
from typing import Any, Protocol, TypeAlias, TypedDict

from .formdata import FormData  # noqa: F401 - named by the Body alias


class Context(Protocol):
    def waitUntil(self, other: Awaitable[Any]) -> None: ...  # noqa: N802 - the JS name


JSBody: TypeAlias = "js.Blob | JsBuffer | js.FormData | js.ReadableStream | js.URLSearchParams"
Body: TypeAlias = "str | FormData | JSBody"
Headers: TypeAlias = "dict[str, str] | list[tuple[str, str]] | js.Headers"


class RequestInitCfProperties(TypedDict, total=False):
    """The `cf` option of an outgoing request (Cloudflare's RequestInitCfProperties)."""

    apps: bool | None
    cacheEverything: bool | None
    cacheKey: str | None
    cacheTags: list[str] | None
    cacheTtl: int
    cacheTtlByStatus: dict[str, int]
    image: Any | None
    mirage: bool | None
    polish: str | None
    resolveOverride: str | None
    scrapeShield: bool | None
    webp: bool | None


class FetchKwargs(TypedDict, total=False):
    """The keyword options of Request(...) and fetch(...)."""

    headers: "Headers | None"
    body: "Body | None"
    method: HTTPMethod | None
    redirect: str | None
    cf: RequestInitCfProperties | None
    fetcher: Any | None
