"""The project's Celery app, for the lost-task test: named functions stop at their start until the test releases
them, so a SIGKILL lands inside a task at a known point (``celery -A tests.marketplace.holding_worker worker``).

``HOLD_AT`` lists ``label=module:attribute`` (``attribute`` may be ``Class.method``); each wrapped call touches
``$HOLD_DIR/reached-<label>`` and waits for ``$HOLD_DIR/release``, then runs the real function unchanged.
"""
from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

django.setup()

from marketplace.celery import app  # noqa: E402  (the app the worker runs, with the project's signal handlers)

HOLD_DIR = Path(os.environ.get("HOLD_DIR", "."))
HOLD_LIMIT = 300.0  # seconds: a test that never releases must not leave a worker waiting forever


def _holding(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def held(*args: Any, **kwargs: Any) -> Any:
        (HOLD_DIR / f"reached-{label}").touch()
        deadline = time.monotonic() + HOLD_LIMIT
        while not (HOLD_DIR / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return fn(*args, **kwargs)

    return held


for spec in filter(None, os.environ.get("HOLD_AT", "").split(",")):
    label, target = spec.split("=", 1)
    module_name, attribute = target.split(":", 1)
    owner: Any = importlib.import_module(module_name)
    *parents, name = attribute.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    setattr(owner, name, _holding(label, getattr(owner, name)))

__all__ = ["app"]
