import asyncio
import time
from urllib.parse import urlparse, parse_qs
from workers import WorkerEntrypoint, Response

started = time.monotonic()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/sleep":
            ms = int(parse_qs(url.query)["ms"][0])
            await asyncio.sleep(ms / 1000)
            return Response(f"slept {ms}")
        if url.path == "/echo":
            data = await request.bytes()
            return Response(data, headers={"x-length": str(len(data))})
        return Response("fast")
