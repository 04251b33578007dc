from workers import Response, WorkerEntrypoint


def note(row):
    return {"id": row.id, "text": row.text, "created": row.created}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        db = self.env.DB
        if request.method == "POST":
            text = (await request.text()).strip()
            if not text:
                return Response.json({"error": "send the note as the body"}, status=400)
            row = await db.prepare("INSERT INTO notes (text) VALUES (?) RETURNING *").bind(text).first()
            return Response.json(note(row), status=201)
        rows = await db.prepare("SELECT * FROM notes ORDER BY id").all()
        return Response.json([note(row) for row in rows.results])
