"""Type names shared by every domain: who is looking (``Viewer``, maybe anonymous) and who acts (``User``)."""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

#: whoever is looking at a page or calling the API: a signed-in user or an anonymous visitor
Viewer = User | AnonymousUser

__all__ = ["User", "Viewer"]
