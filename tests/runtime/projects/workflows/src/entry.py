import asyncio
import json
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint
from workers.workflows import NonRetryableError


async def bump(env, instance, step):
    """Counts a step body's executions in KV, which outlives the process."""
    key = f"{instance}:{step}"
    n = int(await env.RUNS.get(key) or 0) + 1
    await env.RUNS.put(key, str(n))
    return n


class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        params = event["payload"]
        mode = params.get("mode", "quick")
        me = event["instanceId"]
        env = self.env

        if mode == "quick":
            @step.do("one")
            async def one():
                return {"n": 1}

            await one()
            await step.sleep("breath", 50)
            return {"id": me, "n": (await one())["n"] + 1}

        if mode == "replay":
            @step.do("a")
            async def a():
                return await bump(env, me, "a")

            @step.do("b")
            async def b():
                return await bump(env, me, "b")

            await a()
            await step.sleep("nap", params["sleep"])
            await b()
            return {"done": True}

        if mode == "retry":
            backoff = params.get("backoff", "exponential")

            @step.do("flaky", config={"retries": {"limit": 3, "delay": "200 millis", "backoff": backoff}})
            async def flaky(ctx):
                if int(ctx["attempt"]) < 4:
                    raise ValueError(f"attempt {ctx['attempt']} failed")
                return {"attempt": int(ctx["attempt"])}

            return await flaky()

        if mode == "fatal":
            @step.do("boom", config={"retries": {"limit": 5, "delay": 10, "backoff": "constant"}})
            async def boom():
                await bump(env, me, "boom")
                raise NonRetryableError("do not retry")

            return await boom()

        if mode == "timeout":
            @step.do("slow", config={"retries": {"limit": 0, "delay": 10}, "timeout": 300})
            async def slow():
                await asyncio.sleep(5)
                return "late"

            return await slow()

        if mode == "event":
            received = await step.wait_for_event("approval", "approve", timeout=params.get("timeout", "1 hour"))
            return {"payload": received["payload"], "type": received["type"]}

        if mode == "long":
            def numbered(i):  # a step's parameters name its dependencies: no i=i default
                @step.do(f"s{i:02}")
                async def work():
                    await bump(env, me, f"s{i:02}")
                    await asyncio.sleep(0.15)
                    return i

                return work

            results = [await numbered(i)() for i in range(20)]
            return {"sum": sum(results)}

        if mode == "context":
            @step.do("ctx-step")
            async def read(ctx):
                return {"name": ctx["step"]["name"], "count": ctx["step"]["count"],
                        "attempt": int(ctx["attempt"]), "has_config": "config" in ctx}

            return {"ctx": await read(), "workflow": event["workflowName"], "id": me,
                    "has_timestamp": "timestamp" in event}

        if mode == "implicit":
            @step.do()
            async def left():
                return 2

            @step.do()
            async def right():
                return 3

            @step.do(concurrent=True)
            async def combined(left, right):
                return left * right

            return {"combined": await combined()}

        if mode == "depends":  # the legacy keyword under the implicit flag: a TypeError
            @step.do("x")
            async def x():
                return 1

            @step.do("y", depends=[x])
            async def y(value):
                return value

            return await y()

        if mode == "tuple":  # as Cloudflare's SDK converts it: an array
            @step.do("pair")
            async def pair():
                return (1, "two")

            return {"pair": await pair()}

        if mode == "unserialisable":
            @step.do("bad")
            async def bad():
                return {1, 2}

            return await bad()

        if mode == "catch":
            @step.do("failing", config={"retries": {"limit": 0, "delay": 0, "backoff": "constant"}})
            async def failing():
                raise TypeError("intentional failure")

            try:
                await failing()
            except Exception as exc:
                return {"caught": type(exc).__name__, "message": str(exc)}
            return {"caught": None}

        raise ValueError(f"unknown mode {mode}")


class Legacy(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("base")
        async def base():
            return 10

        @step.do("derived", depends=[base])
        async def derived(value):
            return value + 5

        return {"derived": await derived()}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        flow = self.env.LEGACY if query.get("flow") == "legacy" else self.env.FLOW
        try:
            if parts[0] == "create":
                params = await request.json() if request.method == "POST" else {}
                options = {"params": params}
                if "id" in query:
                    options["id"] = query["id"]
                inst = await flow.create(options)
                return Response.json({"id": inst.id}, status=201)
            if parts[0] == "batch":
                n = int(query.get("n", "10"))
                batch = [{"id": f"{query['prefix']}{i}", "params": {"mode": "quick"}} for i in range(n)]
                made = await flow.create_batch(batch)
                return Response.json({"ids": [i.id for i in made]}, status=201)
            if parts[0] == "status":
                inst = await flow.get(parts[1])
                status = await inst.status()
                status = status.to_py() if hasattr(status, "to_py") else dict(status)
                return Response(json.dumps(status), headers={"content-type": "application/json"})
            if parts[0] == "event":
                inst = await flow.get(parts[1])
                await inst.send_event({"type": query["type"], "payload": await request.json()})
                return Response.json({"sent": True})
            if parts[0] == "control":
                inst = await flow.get(parts[1])
                await getattr(inst, parts[2])()
                return Response.json({"done": parts[2]})
            if parts[0] == "runs":
                return Response(await self.env.RUNS.get(parts[1]) or "0")
        except Exception as exc:
            return Response.json({"error": type(exc).__name__, "message": str(exc)}, status=400)
        return Response("not found", status=404)
