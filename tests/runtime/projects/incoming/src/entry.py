# Answers what the worker sees of its request (test_worker: incomingRequestsAsTheConstructorMakesThem).
import asyncio

from workers import Response, WorkerEntrypoint


kept = []  # /keep's request, read by /kept once /keep has ended


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/keep"):
            kept.append(request)
            return Response("kept")
        if request.url.endswith("/kept"):
            old = kept.pop()
            return Response.json({"url": old.url, "js_url": old.js_object.url,
                                  "headers": [list(pair) for pair in old.headers.items()]})
        # Read first: for a request without a body, what Python has before any JS Request is
        # made (the URL and method came with the call, the headers alone from JS), in the call
        # that starts the handler or (/wait) once it has waited.
        if "/wait" in request.url:
            await asyncio.sleep(0)
        py_headers = [[name, value] for name, value in request.headers.items()]
        py_method = request.method.value
        js_request = request.js_object
        body = None if js_request.method in ("GET", "HEAD") else await request.text()
        return Response.json({
            "url": request.url, "method": js_request.method, "body": body,
            "headers": [list(pair) for pair in js_request.headers],
            "cf": js_request.cf.colo, "aborted": js_request.signal.aborted,
            "redirect": js_request.redirect, "used": js_request.bodyUsed,
            "py_headers": py_headers, "py_method": py_method,
        })
