"""`await fetch(resource, **options)`, as Cloudflare's `workers` package has it: Pyodide's
pyfetch, answered as a workers Response."""

from http import HTTPMethod

from pyodide.http import pyfetch

from .request import Request
from .response import Response


async def fetch(resource, **other_options):
    if isinstance(resource, Request):
        resource = resource.js_object
    if isinstance(other_options.get("method"), HTTPMethod):
        other_options["method"] = other_options["method"].value
    response = await pyfetch(resource, **other_options)
    return Response(response.js_response)
