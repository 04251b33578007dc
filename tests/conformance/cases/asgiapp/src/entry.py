from urllib.parse import parse_qs

import asgi
from minirouter import App, read_body, send_json
from workers import WorkerEntrypoint

app = App()


@app.route("GET", "/hello")
async def hello(scope, receive, send):
    query = parse_qs(scope["query_string"].decode())
    await send_json(send, {"hello": query.get("name", ["asgi"])[0], "started": app.state["started"]})


@app.route("POST", "/items")
async def create(scope, receive, send):
    body = await read_body(receive)
    headers = dict(scope["headers"])
    await send_json(send, {"size": len(body), "type": headers.get(b"content-type", b"").decode(),
                           "stage": scope["env"].STAGE}, status=201, headers=[(b"x-created", b"yes")])


@app.route("GET", "/stream")
async def stream(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for i in range(5):
        await send({"type": "http.response.body", "body": f"part {i}\n".encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b"done\n"})


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await asgi.fetch(app, request, self.env)
