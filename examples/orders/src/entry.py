"""POST /orders {"items": [{"sku": "mug", "qty": 2, "cents": 1250}], "declines": 1,
"approval": true} starts an order; GET /orders/<id> shows it; POST /orders/<id>/approve
sends the approval it may be waiting for."""

from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint
from workers.workflows import NonRetryableError


class OrderFlow(WorkflowEntrypoint):
    async def run(self, event, step):
        order = event["payload"]

        @step.do("price")
        async def price():
            items = order.get("items", [])
            if not items:
                raise NonRetryableError("an order needs items")
            return {"total": sum(i["qty"] * i["cents"] for i in items)}

        @step.do("charge card", config={"retries": {"limit": 3, "delay": "300 millis", "backoff": "exponential"}})
        async def charge(ctx):
            # The payment provider declines the first `declines` attempts.
            if int(ctx["attempt"]) <= order.get("declines", 0):
                raise RuntimeError("card declined by the issuer")
            return {"charged": True, "attempt": int(ctx["attempt"])}

        @step.do()
        async def pack():
            return {"boxes": max(1, sum(i["qty"] for i in order["items"]) // 4)}

        @step.do()
        async def label():
            return {"label": "ORDER-" + event["instanceId"][:8].upper()}

        @step.do(concurrent=True)
        async def ship(pack, label):
            return {"boxes": pack["boxes"], "label": label["label"]}

        total = (await price())["total"]
        await charge()
        if order.get("approval"):
            decision = await step.wait_for_event("manager approval", "approval", timeout="1 hour")
            if not decision["payload"].get("ok"):
                raise NonRetryableError("the manager said no")
        await step.sleep("cool down", "2 seconds")
        shipped = await ship()
        return {"total": total, **shipped}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        parts = urlparse(request.url).path.strip("/").split("/")
        if parts == ["orders"] and request.method == "POST":
            instance = await self.env.ORDERS.create(params=await request.json())
            return Response.json({"id": instance.id}, status=201)
        if len(parts) == 2 and parts[0] == "orders":
            instance = await self.env.ORDERS.get(parts[1])
            return Response.json(await instance.status())
        if len(parts) == 3 and parts[2] == "approve" and request.method == "POST":
            instance = await self.env.ORDERS.get(parts[1])
            await instance.send_event(type="approval", payload=await request.json())
            return Response.json({"sent": True})
        return Response("POST /orders, GET /orders/<id>, POST /orders/<id>/approve\n")
