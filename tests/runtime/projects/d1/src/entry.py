import asyncio

from workers import Response, WorkerEntrypoint

FOREVER = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


async def error_of(awaitable):
    try:
        await awaitable
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        db = self.env.DB
        path = request.url.split("/", 3)[3]
        if path == "types":
            ins = db.prepare("INSERT INTO items (name, price, qty, data) VALUES (?1, ?2, ?3, ?4)")
            res = await ins.bind("widget", 2.25, 7, b"\x00\xff").run()
            await ins.bind("nothing", None, None, None).run()
            row = await db.prepare("SELECT * FROM items WHERE name = ?").bind("widget").first()
            raw = await db.prepare("SELECT name, qty FROM items ORDER BY id").raw()
            named = await db.prepare("SELECT name FROM items ORDER BY id").raw(columnNames=True)
            everything = await db.prepare("SELECT name FROM items ORDER BY id").all()
            return Response.json({
                "meta": {k: res.meta[k] for k in ("changes", "last_row_id", "changed_db", "rows_written")},
                "success": res.success,
                "row": {"name": row.name, "price": row.price, "qty": row.qty, "data": list(row.data)},
                "count": await db.prepare("SELECT COUNT(*) AS n FROM items").first("n"),
                "missing": await db.prepare("SELECT * FROM items WHERE name = 'nope'").first(),
                "raw": raw,
                "named": named,
                "names": [r.name for r in everything.results],
                "null": (await db.prepare("SELECT price FROM items WHERE name = 'nothing'").first("price")),
            })
        if path == "values":
            # What crosses as JSON text between the SDK and the host, edges included.
            text = 'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 é 😀'
            echo = db.prepare("SELECT ? AS v, typeof(?) AS t")
            out = {}
            for name, value in [("text", text), ("big", 2**62), ("safe", 2**53 - 1), ("neg", -(2**63)),
                                ("real", 2.5), ("whole_real", 5.0), ("tiny", 1e-300), ("inf", float("inf")),
                                ("blob", bytes(range(256))), ("empty_blob", b""), ("none", None), ("true", True)]:
                try:
                    row = await echo.bind(value, value).first()
                except Exception as e:  # ints past 2**53 become JS bigints, which D1 refuses
                    out[name] = {"error": str(e)}
                    continue
                v = row.v
                out[name] = {"type": row.t, "py": type(v).__name__,
                             "value": list(v) if isinstance(v, list) else v if v != float("inf") else "inf"}
            batched = await db.batch([echo.bind(text, text), echo.bind(b"\x01\x02", None), echo.bind(float("-inf"), 0)])
            out["batch"] = [[r.results[0].v if r.results[0].v != float("-inf") else "-inf", r.results[0].t] for r in batched]
            # Many distinct statements: past the host's cache of SQL texts nothing changes.
            out["distinct"] = sum([(await db.prepare(f"SELECT {i} AS n").first("n")) for i in range(300)])
            return Response.json(out)
        if path == "batch":
            good = await db.batch([db.prepare("INSERT INTO items (name) VALUES (?)").bind(n) for n in ("b1", "b2")])
            bad = await error_of(db.batch([
                db.prepare("INSERT INTO items (name) VALUES ('b3')"),
                db.prepare("INSERT INTO items (name) VALUES ('b1')"),  # UNIQUE fails: b3 rolls back too
            ]))
            b3 = await db.prepare("SELECT COUNT(*) AS n FROM items WHERE name = 'b3'").first("n")
            return Response.json({"good": [r.meta.changes for r in good], "bad": bad, "b3": b3})
        if path == "exec":
            res = await db.exec("CREATE TABLE IF NOT EXISTS notes (t TEXT);\nINSERT INTO notes VALUES ('a');\nINSERT INTO notes VALUES ('b')")
            return Response.json({"count": res.count, "has_duration": res.duration >= 0})
        if path == "errors":
            async def bind_a_dict():  # bind() itself throws, synchronously, as in workerd
                return await db.prepare("SELECT ?").bind({"a": 1}).all()

            return Response.json({
                "sql": await error_of(db.prepare("SELECT * FROM nope").all()),
                "column": await error_of(db.prepare("SELECT 1 AS a").first("b")),
                "type": await error_of(bind_a_dict()),
            })
        if path in ("runaway-read", "runaway-write"):
            # After a timer, so the query is issued from a later step of the task.
            await asyncio.sleep(0.05)
            if path == "runaway-read":  # a lone SELECT runs on the engine thread
                await db.prepare(FOREVER).all()
            else:  # a batch goes to a pool thread
                await db.batch([db.prepare("CREATE TABLE IF NOT EXISTS counts (n)"),
                                db.prepare("INSERT INTO counts " + FOREVER)])
            return Response("finished")
        return Response("?", status=404)
