# Answers what the worker sees of its request (test_worker: incomingRequestsAsTheConstructorMakesThem).
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        js_request = request.js_object
        body = None if js_request.method in ("GET", "HEAD") else await request.text()
        return Response.json({
            "url": request.url, "method": js_request.method, "body": body,
            "headers": [list(pair) for pair in js_request.headers],
            "cf": js_request.cf.colo, "aborted": js_request.signal.aborted,
            "redirect": js_request.redirect, "used": js_request.bodyUsed,
        })
