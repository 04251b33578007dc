from urllib.parse import urlsplit

import asgi
from js import Object, WebSocketPair
from pyodide.ffi import create_proxy, to_js
from workers import Response, WorkerEntrypoint

# What the raw handler's sockets saw, for GET /events (kept across requests of this instance).
events = []


class EchoApp:
    """ASGI: echoes each message tagged with the key it arrived under."""

    async def __call__(self, scope, receive, send):
        message = await receive()
        assert message["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                events.append(f"asgi disconnect {message['code']}")
                return
            if message.get("bytes") is not None:
                await send({"type": "websocket.send", "bytes": b"bytes=" + message["bytes"]})
            elif message["text"] == "close please":
                await send({"type": "websocket.close", "code": 4001, "reason": "app-close"})
            else:
                await send({"type": "websocket.send", "text": "text=" + message["text"]})


def raw_echo():
    client, server = WebSocketPair.new().object_values()
    server.accept()
    server.binaryType = "arraybuffer"

    def on_message(event):
        data = event.data
        if isinstance(data, str):
            if data == "bye":
                server.close(4000, "bye to you")
                return
            server.send(f"echo:{data}")
        else:
            server.send(to_js(bytes(reversed(data.to_bytes()))))

    def on_close(event):
        events.append(f"raw close {event.code} {event.reason} {event.wasClean} {server.readyState}")

    server.addEventListener("message", create_proxy(on_message))
    server.addEventListener("close", create_proxy(on_close))
    server.send("hello")  # sent before the 101: delivered once the client is connected
    return Response(None, status=101, web_socket=client)


def misuse():
    # workerd's errors, caught here so the answer can list them.
    out = []
    client, server = WebSocketPair.new().object_values()
    for label, call in [
        ("send before accept", lambda: server.send("x")),
        ("101 without socket", lambda: Response(None, status=101)),
        ("socket with 200", lambda: Response(None, status=200, web_socket=client)),
    ]:
        try:
            call()
            out.append(f"{label}: no error")
        except Exception as exc:  # noqa: BLE001 - JsException carries the JS error's text
            out.append(f"{label}: {exc}")
    server.accept()
    try:
        server.close(1005)
    except Exception as exc:  # noqa: BLE001
        out.append(f"close 1005: {exc}")
    try:
        server.close(1000, "x" * 124)
    except Exception as exc:  # noqa: BLE001
        out.append(f"long reason: {exc}")
    server.close(1000, "done")
    try:
        server.send("late")
    except Exception as exc:  # noqa: BLE001
        out.append(f"send after close: {exc}")
    pair = Object.values(WebSocketPair.new())
    out.append(f"pair has {pair.length} ends, readyState {pair[0].readyState}")
    return "\n".join(out)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        if path == "/events":
            return Response("\n".join(events))
        if path == "/misuse":
            return Response(misuse())
        if path == "/asgi":
            return await asgi.websocket(EchoApp(), request)
        if path == "/raw":
            return raw_echo()
        return Response("not a websocket path", status=404)
