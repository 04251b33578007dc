import asyncio
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

from ledger import balance


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        await asyncio.sleep(0)
        if path == "/balance":
            return Response(str(balance("overdrawn")))
        if path == "/cancelled":
            raise asyncio.CancelledError()
        await asyncio.sleep(0.001)
        return Response("waited")
