from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

# The same statement as migrations/0001_notes.sql, so the example answers before anyone
# applies the migration (`kiln d1 migrations apply notes`).
SCHEMA = """CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  text TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now'))
)"""


def note(row, views=None):
    out = {"id": row.id, "text": row.text, "created": row.created}
    if views is not None:
        out["views"] = views
    return out


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.DB.exec(SCHEMA)
        parts = [p for p in urlparse(request.url).path.split("/") if p]
        if parts == ["notes"] and request.method == "POST":
            text = (await request.text()).strip()
            if not text:
                return Response.json({"error": "send the note as the body"}, status=400)
            row = await self.env.DB.prepare(
                "INSERT INTO notes (text) VALUES (?) RETURNING *"
            ).bind(text).first()
            return Response.json(note(row), status=201)
        if parts == ["notes"]:
            rows = await self.env.DB.prepare("SELECT * FROM notes ORDER BY id").all()
            return Response.json([note(row) for row in rows.results])
        if len(parts) == 2 and parts[0] == "notes":
            row = await self.env.DB.prepare("SELECT * FROM notes WHERE id = ?").bind(
                int(parts[1])
            ).first()
            if row is None:
                return Response.json({"error": "no such note"}, status=404)
            key = f"views:{row.id}"
            views = int(await self.env.VIEWS.get(key) or 0) + 1
            await self.env.VIEWS.put(key, str(views))
            return Response.json(note(row, views))
        if len(parts) >= 2 and parts[0] == "files":
            name = "/".join(parts[1:])
            if request.method == "PUT":
                kind = request.headers.get("content-type") or "application/octet-stream"
                await self.env.FILES.put(
                    name, await request.bytes(), httpMetadata={"contentType": kind}
                )
                return Response(f"stored {name}\n", status=201)
            found = await self.env.FILES.get(name)
            if found is None:
                return Response("no such file\n", status=404)
            return Response(  # the object's body streams straight into the response
                found.body,
                headers={"content-type": found.httpMetadata.contentType or ""},
            )
        return Response(
            "POST /notes (body: text), GET /notes, GET /notes/<id>, "
            "PUT or GET /files/<name>\n"
        )
