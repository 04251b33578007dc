import asyncio
from urllib.parse import urlparse, parse_qs

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = parse_qs(url.query)
        if url.path == "/":
            name = query.get("name", ["world"])[0]
            return Response(f"{self.env.GREETING}, {name}! Try /json, /echo (POST) or /slow.\n")
        if url.path == "/json":
            return Response.json({"greeting": self.env.GREETING, "method": request.method,
                                  "has_token": self.env.API_TOKEN is not None})
        if url.path == "/echo" and request.method == "POST":
            body = await request.text()
            return Response(body, headers={"content-type": request.headers.get("content-type") or "text/plain"})
        if url.path == "/slow":
            await asyncio.sleep(0.5)
            return Response("waited half a second without blocking other requests\n")
        return Response("not found\n", status=404)

    async def scheduled(self, controller, env, ctx):
        print(f"cron {controller.cron} fired")
