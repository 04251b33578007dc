from urllib.parse import urlparse
from workers import WorkerEntrypoint, Response

hoard = []


class Default(WorkerEntrypoint):
    async def fetch(self, request):
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
        if path == "/count":
            return Response(str(len(hoard)))
        return Response("ok")
