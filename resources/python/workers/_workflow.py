"""`env.<WORKFLOW>` and its instance handles: the JS binding's methods through the generic
binding proxy (Python arguments in, Python values out), plus the snake_case names
Cloudflare's SDK gives Python (`create_batch`, `send_event`)."""

from ._convert import BindingProxy


class Workflow(BindingProxy):
    """A Workflow binding: `await create(id=..., params=...)` (or one options dict),
    `await create_batch([...])`, `await get(id)`."""

    __slots__ = ()

    def create_batch(self, *args, **kwargs):
        return self.createBatch(*args, **kwargs)


class WorkflowInstance(BindingProxy):
    """One instance: `id`, `await status()`, `pause()`, `resume()`, `terminate()`,
    `restart()`, `send_event(type=..., payload=...)`."""

    __slots__ = ()

    def send_event(self, *args, **kwargs):
        return self.sendEvent(*args, **kwargs)
