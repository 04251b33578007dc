import asyncio
import os
import sys
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

started = 0  # module state: a fresh instance starts from 0 again


def leave():
    os._exit(3)


def deep(n):
    return deep(n + 1) + 1


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global started
        started += 1
        path = urlparse(request.url).path
        if path == "/exit":
            leave()
        if path == "/slow":
            await asyncio.sleep(30)
        if path == "/later-exit":
            self.ctx.waitUntil(asyncio.ensure_future(self.exit_soon()))
            return Response("answered first")
        if path == "/sys-exit":
            sys.exit(4)
        if path == "/deep":
            # Deep enough that dropping the caught exception's frames overflows the stack.
            sys.setrecursionlimit(100_000)
            try:
                deep(0)
            except RecursionError:
                return Response("survived")
        return Response(str(started))

    async def exit_soon(self):
        await asyncio.sleep(0.1)
        os._exit(5)
