import mimetypes
from urllib.parse import unquote, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        key = unquote(urlparse(request.url).path.lstrip("/"))
        if not key:
            listed = await self.env.FILES.list()
            return Response.json([obj.key for obj in listed.objects])
        if request.method == "PUT":
            await self.env.FILES.put(key, await request.bytes())
            return Response(f"stored {key}\n", status=201)
        if request.method == "DELETE":
            await self.env.FILES.delete(key)
            return Response(f"deleted {key}\n")
        obj = await self.env.FILES.get(key)
        if obj is None:
            return Response("not found\n", status=404)
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        return Response(obj.body, headers={"content-type": content_type})  # streamed
