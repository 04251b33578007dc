from workers import WorkerEntrypoint, Response
import helpers


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(helpers.greet())
