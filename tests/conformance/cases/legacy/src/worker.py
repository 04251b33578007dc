# Module-level handlers: the older style Cloudflare still runs. They see the raw JS request
# and env objects, so this also checks plain `js` / `pyodide.ffi` use.
import json

from js import URL, Object, Response
from pyodide.ffi import to_js

runs = []
times = []


def json_response(data):
    headers = to_js({"content-type": "application/json"}, dict_converter=Object.fromEntries)
    return Response.new(json.dumps(data), to_js({"headers": headers}, dict_converter=Object.fromEntries))


async def on_fetch(request, env):
    path = URL.new(request.url).pathname
    if path == "/env":
        limits = env.LIMITS
        return json_response({"max": limits.max, "names": list(limits.names),
                              "enabled": env.ENABLED, "ratio": env.RATIO})
    if path == "/runs":
        return json_response(runs)
    if path == "/times":
        return json_response(times)
    return Response.new("legacy ok")


async def on_scheduled(controller, env, ctx):
    runs.append(controller.cron)
    times.append(controller.scheduledTime)
