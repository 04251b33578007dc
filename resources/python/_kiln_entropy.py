"""Cloudflare's rules for randomness at import time, so code that fails there fails here.

On Cloudflare a Python Worker's top level (the main module's import and what it imports)
runs before any request, where workerd gives no entropy: calling `random`'s functions there
raises RuntimeError("Cannot use random.random() outside of request context"),
`os.urandom` (and so `uuid.uuid4`, `secrets`, an unseeded `random.Random()`) raises
OSError(EIO, "Cannot get entropy outside of request context"). `random.Random(seed)` and
`random.SystemRandom` may be created; the module-level generator is reseeded before the
first request. The rules hold from `before_top_level()` until `enter_request_context()`,
which the host calls as the first request, scheduled event or workflow run begins.
"""

import os
import sys
from functools import wraps

EIO = 29
_in_request_context = False
_saved = {}


def in_request_context():
    return _in_request_context


def _raise_unless_allowed():
    if not _in_request_context:
        raise OSError(EIO, "Cannot get entropy outside of request context")


class _BlockedCallModule:
    """`random` as user code sees it at top level: attribute reads pass through, but calling
    a function other than those allowed raises until the first request."""

    def __init__(self, module, allowed):
        object.__setattr__(self, "_mod", module)
        object.__setattr__(self, "_allowed", allowed)

    def __getattribute__(self, key):
        mod = object.__getattribute__(self, "_mod")
        value = getattr(mod, key)
        if _in_request_context or not callable(value):
            return value
        if key in object.__getattribute__(self, "_allowed"):
            return value

        @wraps(value)
        def blocked(*args, **kwargs):
            if not _in_request_context:
                raise RuntimeError(f"Cannot use {mod.__name__}.{key}() outside of request context")
            return value(*args, **kwargs)

        return blocked

    def __setattr__(self, key, value):
        setattr(object.__getattribute__(self, "_mod"), key, value)

    def __dir__(self):
        return dir(object.__getattribute__(self, "_mod"))


class _FixedNames:
    """tempfile's name sequence at top level: 8 characters counting up, no entropy."""

    characters = "abcdefghijklmnopqrstuvwxyz0123456789_"

    def __init__(self):
        self.index = 0

    def __iter__(self):
        return self

    def __next__(self):
        self.index += 1
        n, out = self.index, []
        for _ in range(8):
            out.append(self.characters[n % len(self.characters)])
            n //= len(self.characters)
        return "".join(out)


def before_top_level():
    """Installs the rules; called before the project's imports (the package snapshot's, then
    the main module's). Once is enough: a second call finds them installed."""
    import random

    if _saved or _in_request_context:
        return

    _saved["urandom"] = os.urandom
    _saved["random_urandom"] = random._urandom
    _saved["random"] = random
    orig_urandom = os.urandom

    @wraps(orig_urandom)
    def urandom(*args):
        # workerd lets `import multiprocessing` through: its process module takes 32 bytes
        # at import for an IPC key no worker can use.
        caller = sys._getframe(1).f_globals
        spec = caller.get("__spec__")
        importing = spec is not None and getattr(spec, "_initializing", False)
        if not (importing and caller.get("__name__") == "multiprocessing.process"):
            _raise_unless_allowed()
        return orig_urandom(*args)

    os.urandom = urandom
    random._urandom = urandom  # SystemRandom's source
    orig_seed = random.Random.seed
    _saved["seed"] = orig_seed

    @wraps(orig_seed)
    def seed(self, a=None, *args, **kwargs):
        if a is None:  # seeding from the system's entropy
            _raise_unless_allowed()
        return orig_seed(self, a, *args, **kwargs)

    random.Random.seed = seed
    sys.modules["random"] = _BlockedCallModule(random, ("Random", "SystemRandom"))
    # tempfile names files from a generator seeded with entropy: at top level workerd gives
    # it a fixed sequence instead.
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        _saved["names"] = tempfile._RandomNameSequence
        tempfile._RandomNameSequence = _FixedNames


def enter_request_context():
    """Lifts the rules (once): the first request, scheduled event or workflow run begins."""
    global _in_request_context
    if _in_request_context:
        return
    _in_request_context = True
    if not _saved:
        return
    os.urandom = _saved["urandom"]
    random = _saved["random"]
    random._urandom = _saved["random_urandom"]
    random.Random.seed = _saved["seed"]
    if "names" in _saved:
        sys.modules["tempfile"]._RandomNameSequence = _saved["names"]
    sys.modules["random"] = random
    random.seed()  # the generator was seeded without real entropy: reseed it now
