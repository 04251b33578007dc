# Links the side module of probe.py at the top level: a snapshot taken after that would hold
# a library Kiln does not load again on a restore, so Kiln makes none past that point.
from workers import Response, WorkerEntrypoint

import probe

linked = probe.load()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(probe.answers(linked))
