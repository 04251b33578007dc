from workers import Response, WorkerEntrypoint

# Requests handled by this isolate; GET /count reports it, so the benchmark can check
# that every request really ran this Python handler (nothing served from a cache).
handled = 0


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        global handled
        handled += 1
        if request.url.endswith("/count"):
            return Response(str(handled))
        return Response("Hello")
