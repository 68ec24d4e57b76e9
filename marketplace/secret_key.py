"""The secret key: which values are refused (known placeholders, short or low-variety keys) and the random key
that each installation generates once and keeps under ``var/`` when ``DJANGO_SECRET_KEY`` is not set.

Everything signed by Django and allauth (sessions, password-reset links, e-mail confirmation keys) is only as
secret as this value, so a key anyone can read in the repository is as good as none. Imported by the settings
modules, so it imports nothing from Django.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

MIN_LENGTH = 50
MIN_DISTINCT = 12
KEY_FILE = "secret-key"

#: values published in this repository or in Django's templates, refused whatever their length
KNOWN_PLACEHOLDERS = frozenset({
    "change-me-to-a-random-string-of-at-least-fifty-characters-xxxxxxxx",
    "local-insecure-key-do-not-use-in-production",
})
#: words that only a placeholder contains
PLACEHOLDER_MARKERS = ("change-me", "changeme", "insecure", "do-not-use", "placeholder", "your-secret", "example")


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not sign anything, or ``None`` when it is acceptable."""
    lowered = key.lower()
    if key in KNOWN_PLACEHOLDERS or any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return "DJANGO_SECRET_KEY is a published placeholder; generate one (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    if len(key) < MIN_LENGTH:
        return f"DJANGO_SECRET_KEY must be a random value of at least {MIN_LENGTH} characters"
    if len(set(key)) < MIN_DISTINCT or _repeats(key):
        return f"DJANGO_SECRET_KEY has too little variety (at least {MIN_DISTINCT} different characters, no repeated pattern)"
    return None


def _repeats(key: str) -> bool:
    """True when the key is a shorter string repeated (``"abc123" * 10``)."""
    return any(len(key) % size == 0 and key == key[:size] * (len(key) // size) for size in range(1, len(key) // 2 + 1))


def installation_secret_key(var_dir: Path) -> str:
    """The key of this installation: read from ``var/secret-key``, or generated there (mode 0600) on first use."""
    path = Path(var_dir) / KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    if key and secret_key_problem(key) is None:
        return key
    key = secrets.token_urlsafe(64)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    try:
        os.link(temporary, path)  # first writer wins when several processes start at once
    except FileExistsError:
        existing = path.read_text(encoding="utf-8").strip()
        if existing and secret_key_problem(existing) is None:
            key = existing
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return key
