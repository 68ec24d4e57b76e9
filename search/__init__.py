"""Search behind one interface (``search.interface``); the engine is chosen by ``settings.SEARCH_BACKEND``."""
from __future__ import annotations

import importlib
import threading

_lock = threading.Lock()
_backends: dict[str, object] = {}


def get_search_backend(name: str | None = None):
    """The configured engine (``search.backends.embedded`` or ``search.backends.elasticsearch``)."""
    from django.conf import settings

    path = name or settings.SEARCH_BACKEND
    with _lock:
        if path not in _backends:
            module = importlib.import_module(path)
            _backends[path] = module.Backend.from_settings(settings)
        return _backends[path]


def reset_search_backends() -> None:
    """Forget cached engines (tests switch index files between cases)."""
    with _lock:
        for backend in _backends.values():
            close = getattr(backend, "close", None)
            if close:
                close()
        _backends.clear()
