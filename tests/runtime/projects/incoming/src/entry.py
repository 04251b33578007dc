# Answers what the worker sees of its request (test_worker: incomingRequestsAsTheConstructorMakesThem).
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        # Read first: for a request without a body, what Python has before any JS Request is
        # made (the URL and method came with the call, the headers alone from JS).
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
