import asyncio
import random
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class DAGWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first branch")
        async def short_wait():
            print("first branch running")
            await asyncio.sleep(random.uniform(0.1, 0.4))

        @step.do("second branch")
        async def longer_wait():
            print("second branch running")
            await asyncio.sleep(random.uniform(0.3, 0.6))

        @step.do("join", depends=[short_wait, longer_wait], concurrent=True)
        async def join(first=None, second=None):
            print("both branches done")

        await join()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/start":
            instance = await self.env.MY_WORKFLOW.create()
            return Response("Started workflow " + instance.id)
        if path.startswith("/status/"):
            instance = await self.env.MY_WORKFLOW.get(path.rsplit("/", 1)[-1])
            return Response.json(await instance.status())
        return Response("Use /start, then /status/<id>.")
