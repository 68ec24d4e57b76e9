"""Search behind one interface (``search.interface``); the engine is chosen by ``settings.SEARCH_BACKEND``."""
from __future__ import annotations

import importlib
import threading

_lock = threading.Lock()
_backends: dict[str, object] = {}  # engine module | index path | index prefix → engine


def get_search_backend(name: str | None = None):
    """The configured engine (``search.backends.embedded`` or ``search.backends.elasticsearch``)."""
    from django.conf import settings

    path = name or settings.SEARCH_BACKEND
    # keyed by where the engine keeps its index too: a throw-away run (``marketplace.throwaway``) that points the
    # settings at its own index gets its own engine, and the live one again when it puts them back
    key = "|".join(
        (path, str(getattr(settings, "SEARCH_INDEX_PATH", "")), str(getattr(settings, "SEARCH_INDEX_PREFIX", "")))
    )
    with _lock:
        if key not in _backends:
            module = importlib.import_module(path)
            _backends[key] = module.Backend.from_settings(settings)
        return _backends[key]


def reset_search_backends() -> None:
    """Forget cached engines (tests switch index files between cases)."""
    with _lock:
        for backend in _backends.values():
            close = getattr(backend, "close", None)
            if close:
                close()
        _backends.clear()
