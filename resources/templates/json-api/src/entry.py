from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

# In memory: each instance starts empty (use KV or D1 to keep data).
ITEMS = {1: {"id": 1, "name": "first item"}}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/items" and request.method == "GET":
            return Response.json(list(ITEMS.values()))
        if path == "/items" and request.method == "POST":
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                return Response.json({"error": "send {\"name\": \"...\"}"}, status=400)
            item = {"id": max(ITEMS, default=0) + 1, "name": data["name"]}
            ITEMS[item["id"]] = item
            return Response.json(item, status=201)
        if path.startswith("/items/"):
            item = ITEMS.get(int(path.rsplit("/", 1)[1])) if path.rsplit("/", 1)[1].isdigit() else None
            if item is None:
                return Response.json({"error": "no such item"}, status=404)
            return Response.json(item)
        return Response.json({"routes": ["GET /items", "POST /items", "GET /items/<id>"]})
