from urllib.parse import urlparse

import js
from workers import WorkerEntrypoint, Response

hoard = []
held = None  # a JS array of a million numbers (~8 MB of JS heap) while /hold has it


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global held
        path = urlparse(request.url).path
        if path == "/spin-announced":
            print("spin begins")
            while True:
                pass
        if path == "/spin":
            n = 0
            while True:
                n += 1
        if path == "/grow":
            while True:
                hoard.append(bytearray(16 * 1024 * 1024))
        if path == "/hold":
            held = js.JSON.parse("[" + ",".join(["1.5"] * 1_000_000) + "]")
            return Response(str(held.length))
        if path == "/drop":
            held = None  # the JsProxy goes with it: the array is garbage in JS
            return Response("dropped")
        if path == "/count":
            return Response(str(len(hoard)))
        return Response("ok")
