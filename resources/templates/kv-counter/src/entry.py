from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        page = urlparse(request.url).path
        count = int(await self.env.COUNTS.get(page) or 0) + 1
        await self.env.COUNTS.put(page, str(count))
        return Response(f"{page} has been visited {count} time(s)\n")
