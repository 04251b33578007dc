import sys
from workers import Response, WorkerEntrypoint


async def error_of(awaitable):
    try:
        await awaitable
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        bucket = self.env.BUCKET
        path = request.url.split("/", 3)[3].split("?")[0]
        if path == "whole":
            # Bodies in memory: handed to the host without a copy (hashed on threads of
            # their own past 1 MiB) and read back straight into Python.
            import hashlib

            data = bytes(range(256)) * (3 * 4096 + 7)  # 3 MiB and a bit
            put = await bucket.put("big.bin", memoryview(data))
            got = await bucket.get("big.bin")
            body = await got.arrayBuffer()
            again = await error_of(got.arrayBuffer())
            ranged = await (await bucket.get("big.bin", range={"offset": 1000, "length": 2 << 20})).bytes()
            # bytes: a bytearray cannot be sent over RPC (TypeError), as with Cloudflare's SDK
            await bucket.put("j.json", '{"a": [1, 2.5, 1.0, null, 9007199254740993], "b": "é"}'.encode())
            await bucket.put("lone", "a\ud800b")  # a lone surrogate: U+FFFD, as TextEncoder writes it
            streamed = await bucket.get("big.bin")
            reader = streamed.body.getReader()
            first = await reader.read()
            # Whole reads copy into Python (ArrayBuffer -> memoryview, as Pyodide converts
            # it): none of them may stay alive once Python lets go.
            import pyodide_js
            for _ in range(3):
                await (await bucket.get("big.bin")).arrayBuffer()
            heap = pyodide_js._module.HEAP8.buffer.byteLength
            for _ in range(40):
                view = await (await bucket.get("big.bin")).arrayBuffer()
                del view
            return Response.json({
                "heap_growth": pyodide_js._module.HEAP8.buffer.byteLength - heap,
                "same": bytes(body) == data,
                "size": put.size,
                "etag": put.etag == hashlib.md5(data).hexdigest(),
                "again": again,
                "ranged": bytes(ranged) == data[1000:1000 + (2 << 20)],
                "json": await (await bucket.get("j.json")).json(),
                "text": await (await bucket.get("j.json")).text(),
                "streamed_then_whole": await error_of(streamed.arrayBuffer()),
                "first_chunk": first.value.byteLength > 0,
                "lone": list(await (await bucket.get("lone")).bytes()),
            })
        if path == "objects":
            put = await bucket.put("docs/a.txt", "hello world", httpMetadata={"contentType": "text/plain"},
                                   customMetadata={"owner": "py"})
            await bucket.put("docs/b.bin", b"\x00\x01\x02\x03")
            await bucket.put("docs/sub/c.txt", "c")
            await bucket.put("top.txt", "t")
            got = await bucket.get("docs/a.txt")
            ranged = await bucket.get("docs/a.txt", range={"offset": 6, "length": 5})
            suffix = await bucket.get("docs/a.txt", range={"suffix": 3})
            head = await bucket.head("docs/a.txt")
            listing = await bucket.list(prefix="docs/", delimiter="/", include=["customMetadata"])
            not_modified = await bucket.get("docs/a.txt", onlyIf={"etagDoesNotMatch": put.etag})
            skipped = await bucket.put("docs/a.txt", "other", onlyIf={"etagMatches": "nope"})
            await bucket.delete(["docs/b.bin", "top.txt"])
            return Response.json({
                "put": {"key": put.key, "size": put.size, "etag_len": len(put.etag), "http_etag": put.httpEtag == f'"{put.etag}"'},
                "text": await got.text(),
                "content_type": got.httpMetadata.contentType,
                "owner": got.customMetadata["owner"],
                "ranged": await ranged.text(),
                "range": {"offset": ranged.range.offset, "length": ranged.range.length},
                "suffix": await suffix.text(),
                "head_size": head.size,
                "head_has_body": hasattr(head, "body"),
                "listed": [o.key for o in listing["objects"]],
                "listed_meta": [o.customMetadata.to_py() for o in listing["objects"]],  # R2Objects stay JS
                "prefixes": listing["delimitedPrefixes"],
                "truncated": listing["truncated"],
                "not_modified_has_body": hasattr(not_modified, "body"),
                "skipped": skipped,
                "after_delete": [o.key for o in (await bucket.list())["objects"]],
                "missing": await bucket.get("nope"),
            })
        if path == "multipart":
            upload = await bucket.createMultipartUpload("mp.bin", httpMetadata={"contentType": "application/x-mp"})
            part1 = await upload.uploadPart(1, b"a" * (5 * 1024 * 1024))
            resumed = bucket.resumeMultipartUpload("mp.bin", upload.uploadId)
            part2 = await resumed.uploadPart(2, "end")
            obj = await upload.complete([part1, part2])
            tail = await bucket.get("mp.bin", range={"suffix": 4})
            return Response.json({"size": obj.size, "etag_suffix": obj.etag.split("-")[-1], "tail": await tail.text()})
        if path == "errors":
            return Response.json({
                "long key": await error_of(bucket.put("k" * 1025, "v")),
                "bad range": await error_of(bucket.get("docs/a.txt", range={"offset": 999})),
                "bad md5": await error_of(bucket.put("x", "v", md5="00" * 16)),
            })
        if path.startswith("stream/"):
            key = path[len("stream/"):]
            if request.method == "PUT":
                obj = await bucket.put(key, request.body)
                return Response.json({"size": obj.size})
            obj = await bucket.get(key)
            return Response(obj.body, headers={"content-length": str(obj.size)})
        return Response("?", status=404)
