"""`import asgi`, as Cloudflare documents it for FastAPI and other ASGI apps:

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            import asgi
            return await asgi.fetch(app, request, self.env)

As on Cloudflare, this name is `workers.asgi` itself (the same module object).
"""

import sys

from workers import asgi as _asgi

sys.modules[__name__] = _asgi
