import json
import time
from urllib.parse import parse_qs, urlparse

from js import Date
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


async def empty():
    return None


class Bench(WorkflowEntrypoint):
    async def run(self, event, step):
        params = event["payload"]
        n = params.get("n", 0)

        @step.do("first")
        async def first():
            return Date.now() - params["created_at"]  # ms from create() to this body

        started_ms = await first()
        steps = []
        for i in range(n):
            @step.do(f"s{i}")
            async def body():
                return None

            steps.append(body)
        t0 = time.perf_counter()
        for body in steps:
            await body()
        loop_us = (time.perf_counter() - t0) * 1e6
        t0 = time.perf_counter()
        for _ in range(n):
            await empty()
        plain_us = (time.perf_counter() - t0) * 1e6
        if params.get("hold"):
            await step.sleep("hold", params["hold"])
        return {"start_ms": started_ms, "step_us": loop_us / max(n, 1),
                "plain_us": plain_us / max(n, 1)}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/create":
            params = {"n": int(query.get("n", "0")), "created_at": Date.now()}
            if "hold" in query:
                params["hold"] = query["hold"]
            t0 = time.perf_counter()
            inst = await self.env.BENCH.create({"id": query["id"], "params": params})
            create_us = (time.perf_counter() - t0) * 1e6
            return Response.json({"id": inst.id, "create_us": create_us})
        if url.path == "/status":
            status = await (await self.env.BENCH.get(query["id"])).status()
            status = status.to_py() if hasattr(status, "to_py") else dict(status)
            return Response(json.dumps(status), headers={"content-type": "application/json"})
        return Response("bench", status=200)
