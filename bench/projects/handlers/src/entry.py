from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

ROWS = 1000
# Requests handled by this isolate; the D1 handler walks the ids with it.
handled = 0


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global handled
        handled += 1
        path = urlparse(request.url).path
        if path == "/kv":
            return Response(await self.env.KV.get("greeting"))
        if path == "/d1":
            row = await self.env.DB.prepare("SELECT id, name, value FROM items WHERE id = ?").bind(
                handled % ROWS + 1).first()
            return Response.json(row)
        if path == "/json":
            data = await request.json()
            return Response.json({"name": data["name"], "count": len(data["items"]), "ok": True})
        if path == "/count":
            return Response(str(handled))
        if path == "/setup":
            await self.env.KV.put("greeting", "hello from KV")
            db = self.env.DB
            await db.exec("DROP TABLE IF EXISTS items; CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)")
            await db.prepare(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO items SELECT i, 'item ' || i, i * 7 FROM n").bind(ROWS).run()
            return Response("ready")
        return Response("Hello")  # the hello handler (paths: /kv /d1 /json (POST) /setup)
