import asyncio
import time
from urllib.parse import urlparse, parse_qs
from workers import WorkerEntrypoint, Response, fetch

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
        if url.path == "/count-stream":
            # Reads the body as it arrives; nothing holds the whole upload.
            reader = request.body.getReader()
            total = 0
            while True:
                chunk = await reader.read()
                if chunk.done:
                    break
                total += chunk.value.byteLength
            return Response(str(total))
        if url.path == "/proxy":
            target = parse_qs(url.query)["url"][0]
            upstream = await fetch(target, method="POST", body="from python",
                                   headers={"x-kiln-test": "1"})
            text = await upstream.text()
            return Response(f"{upstream.status} {text}", headers={"x-upstream": upstream.headers.get("x-served-by") or ""})
        return Response("fast")
