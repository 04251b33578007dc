# Response shapes a real worker relies on: redirects, repeated Set-Cookie, binary bodies,
# status text, HEAD, form posts, a JS stream body, and waitUntil work that outlives the
# response.
import asyncio
from urllib.parse import urlparse

from js import ReadableStream, Object, TextEncoder
from pyodide.ffi import create_proxy, to_js
from workers import Response, WorkerEntrypoint

background = []
queued = 0


async def later(tag):
    await asyncio.sleep(0.01)  # runs after the response has gone out
    background.append(tag)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/redirect":
            return Response.redirect("https://example.com/next", 301)
        if path == "/cookies":
            return Response("two cookies", headers=[("set-cookie", "a=1; Path=/"), ("set-cookie", "b=2; Path=/")])
        if path == "/bytes":
            return Response(bytes(range(256)), headers={"content-type": "application/octet-stream"})
        if path == "/teapot":
            return Response("short and stout", status=418, status_text="I'm a teapot")
        if path == "/form" and request.method == "POST":
            form = await request.form_data()
            return Response.json({"name": form.get("name"), "tags": form.get_all("tag")})
        if path == "/stream":
            encoder = TextEncoder.new()
            chunks = [encoder.encode(f"chunk {i};") for i in range(3)]

            def pull(controller):
                if chunks:
                    controller.enqueue(chunks.pop(0))
                else:
                    controller.close()

            source = to_js({"pull": create_proxy(pull)}, dict_converter=Object.fromEntries)
            return Response(ReadableStream.new(source), headers={"content-type": "text/plain"})
        if path == "/wait":
            global queued
            queued += 1
            self.ctx.waitUntil(later(queued))
            return Response("queued")
        if path == "/cf":
            cf = request.cf
            return Response.json({"colo": cf.colo, "country": cf.country, "ip": request.headers.get("cf-connecting-ip")})
        if path == "/background":
            await asyncio.sleep(0.2)  # the waitUntil work of earlier requests finishes meanwhile
            return Response.json(background)
        return Response("ok", headers={"x-method": request.method})
