import random
import statistics
import time
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint

WARM = 200
REPS = 3


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        q = {k: int(v[0]) for k, v in parse_qs(url.query).items()}
        if url.path == "/kv":
            kv, n, value = self.env.KV, q["n"], "v" * 100
            for i in range(WARM):  # untimed: the interpreter's and V8's first passes
                await kv.put(f"warm:{i}", value)
                await kv.get(f"warm:{i}")
            t = time.perf_counter()
            for i in range(n):
                await kv.put(f"key:{i}", value)
            put_us = (time.perf_counter() - t) * 1e6 / n
            t = time.perf_counter()
            size = 0
            for i in range(n):
                size += len(await kv.get(f"key:{i}"))
            get_us = (time.perf_counter() - t) * 1e6 / n
            return Response.json({"put_us": put_us, "get_us": get_us, "bytes": size})
        db = self.env.DB
        if url.path == "/d1/setup":
            rows = q["rows"]
            await db.exec("DROP TABLE IF EXISTS items; CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)")
            await db.prepare(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO items SELECT i, 'item ' || i, i * 7 FROM n").bind(rows).run()
            return Response(str(await db.prepare("SELECT COUNT(*) AS c FROM items").first("c")))
        if url.path == "/d1/select":
            rows, n = q["rows"], q["n"]
            rng = random.Random(42)
            stmt = db.prepare("SELECT id, name, value FROM items WHERE id = ?")
            for _ in range(WARM):  # untimed: the interpreter's and V8's first passes
                await stmt.bind(rng.randrange(rows) + 1).first()
            await db.batch([stmt.bind(rng.randrange(rows) + 1) for _ in range(100)])
            t = time.perf_counter()
            total = 0
            for _ in range(n):
                row = await stmt.bind(rng.randrange(rows) + 1).first()
                total += row["value"]
            select_us = (time.perf_counter() - t) * 1e6 / n
            # The same selects, 100 to a batch: what one crossing into the host costs, spread.
            t = time.perf_counter()
            for start in range(0, n, 100):
                await db.batch([stmt.bind(rng.randrange(rows) + 1) for _ in range(100)])
            batched_us = (time.perf_counter() - t) * 1e6 / n
            return Response.json({"select_us": select_us, "batched_select_us": batched_us, "checksum": total})
        if url.path == "/d1/batch":
            await db.exec("DROP TABLE IF EXISTS batch; CREATE TABLE batch (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)")
            stmt = db.prepare("INSERT INTO batch (name, value) VALUES (?, ?)")
            t = time.perf_counter()
            await db.batch([stmt.bind(f"row {i}", i) for i in range(10000)])
            batch_ms = (time.perf_counter() - t) * 1e3
            return Response.json({"batch10k_ms": batch_ms})
        if url.path == "/r2":
            mib = q["mib"]
            bucket = self.env.BUCKET
            # Untimed, as in kiln_storebench: one object of the same size in and out first,
            # so neither side pays the machine's first touch of fresh memory and page cache
            # (on a VM that alone can triple a 64 MiB write).
            warm = b"w" * (mib << 20)
            await bucket.put("warm.bin", warm)
            del warm
            await (await bucket.get("warm.bin")).arrayBuffer()
            await bucket.delete("warm.bin")
            # Three objects in and out (distinct bytes: blobs are shared by content); the
            # median of each way is reported, as kiln_storebench does.
            puts, gets, size = [], [], 0
            for rep in range(REPS):
                body = bytes([ord("r") + rep]) * (mib << 20)
                t = time.perf_counter()
                await bucket.put("object.bin", body)
                puts.append(time.perf_counter() - t)
                del body
                t = time.perf_counter()
                obj = await bucket.get("object.bin")
                data = await obj.arrayBuffer()
                gets.append(time.perf_counter() - t)
                size = len(data)
                del data
                await bucket.delete("object.bin")
            return Response.json({"put_mib_s": mib / statistics.median(puts),
                                  "get_mib_s": mib / statistics.median(gets), "bytes": size})
        return Response("?", status=404)
