"""Local development: the embedded default that ``make run`` serves.

``make run`` may be exposed (``HOST=0.0.0.0``), so nothing here is looser than base: DEBUG stays off unless
``DJANGO_DEBUG=1`` asks for it, the secret key is this installation's own (``var/secret-key``), and uploads are only
served through their permission-checked views (no ``/media/``).
"""
from .base import *  # noqa: F401,F403
