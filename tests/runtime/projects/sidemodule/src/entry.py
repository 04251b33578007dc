# Links the side module of probe.py in the handler: a start restored from a snapshot links it
# as a booted one does.
from workers import Response, WorkerEntrypoint

import probe


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(probe.answers(probe.load()))
