"""`import asgi`, as Cloudflare documents it for FastAPI and other ASGI apps:

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            import asgi
            return await asgi.fetch(app, request, self.env)

The implementation lives in `workers.asgi`; this module is the same API under the
top-level name.
"""

from workers.asgi import (  # noqa: F401
    ASGI,
    NULL_BODY_STATUSES,
    fetch,
    process_request,
    request_to_scope,
)
from workers.asgi import __getattr__  # noqa: F401  (asgi.env for FastAPI)
