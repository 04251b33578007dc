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
                                  "headers": [list(pair) for pair in old.headers.items()],
                                  "used": old.js_object.bodyUsed, "py_used": old.body_used})
        if "/read" in request.url:
            # The body read first: one that came whole with the head is read without a JS
            # Request, which is made afterwards with its body used.
            before = request.body_used
            text = await request.text()
            try:
                await request.text()
                again = "read twice"
            except OSError as error:
                again = str(error)
            if request.url.endswith("/readkeep"):
                kept.append(request)
                return Response("kept")
            return Response.json({"body": text, "again": again, "before": before,
                                  "py_used": request.body_used, "used": request.js_object.bodyUsed})
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
