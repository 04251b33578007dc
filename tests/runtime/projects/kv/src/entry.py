import time

import js

from workers import Response, WorkerEntrypoint


async def error_of(awaitable):
    try:
        await awaitable
    except Exception as e:  # the message is what the test compares
        return f"{type(e).__name__}: {e}"
    return "no error"


async def _js_text(kv, key):
    # The same value's bytes decoded by JS's TextDecoder (the host decodes a text get itself),
    # without the SDK's wrapper (its `_binding` is the JS object, in Cloudflare's SDK as in Kiln's).
    return js.TextDecoder.new().decode(await kv._binding.get(key, "arrayBuffer"))


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        kv = self.env.NS
        path = request.url.split("/", 3)[3]
        if path == "roundtrip":
            await kv.put("text", "héllo")
            await kv.put("json", '{"a": [1, 2]}', metadata={"owner": "test"})
            await kv.put("bytes", b"\x00\x01\xff")
            # Text as TextDecoder makes it: the BOM dropped, bad bytes as U+FFFD.
            await kv.put("odd", b"\xef\xbb\xbfhi \xe2\x82\xac\xff\xc3( \xf0\x9f\x98\x80\xed\xa0\x80.")
            await kv.put("ttl", "v", expirationTtl=3600)
            with_meta = await kv.getWithMetadata("json", "json")
            listed = await kv.list(prefix="t")
            bulk = await kv.get(["text", "missing"])
            return Response.json({
                "text": await kv.get("text"),
                "odd": await kv.get("odd"),
                "odd_js": await _js_text(kv, "odd"),
                "same_wrapper": self.env.NS is self.env.NS,  # made once, kept
                "json": await kv.get("json", type="json"),
                "bytes": list(bytes(await kv.get("bytes", "arrayBuffer"))),
                "missing": await kv.get("missing"),
                "meta": with_meta["metadata"],
                "meta_value": with_meta.value,
                "listed": [k["name"] for k in listed["keys"]],
                "ttl_in_future": listed["keys"][1]["expiration"] > time.time(),
                "complete": listed["list_complete"],
                "bulk": bulk,
            })
        if path == "paging":
            for i in range(5):
                await kv.put(f"p:{i}", str(i))
            first = await kv.list(prefix="p:", limit=2)
            second = await kv.list(prefix="p:", limit=2, cursor=first["cursor"])
            return Response.json([[k["name"] for k in first["keys"]], first["list_complete"],
                                  [k["name"] for k in second["keys"]]])
        if path == "errors":
            return Response.json({
                "long key": await error_of(kv.get("k" * 513)),
                "dot": await error_of(kv.put(".", "v")),
                "ttl": await error_of(kv.put("k", "v", expirationTtl=5)),
                "value type": await error_of(kv.put("k", {"not": "allowed"})),
                "get type": await error_of(kv.get("k", "xml")),
                "limit": await error_of(kv.list(limit=5000)),
                "ms expiration": await error_of(kv.put("k", "v", expiration=1675058732043)),
            })
        if path == "cli":
            return Response(await kv.get("from-cli") or "absent")
        return Response("?", status=404)
