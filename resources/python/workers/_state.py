"""Per-isolate state the host glue fills in while it serves events."""

import contextvars

# The JS env object from the most recent event (Kiln passes the same env to every event).
last_js_env = None

# The workers Context of the event being handled in this asyncio task.
current_ctx = contextvars.ContextVar("kiln_current_ctx", default=None)
