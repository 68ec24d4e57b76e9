"""The site's public address (``settings.SITE_URL``): links in e-mails and the name and domain allauth shows.

One place, so a notification e-mail, a confirmation link and a password-reset link all point where people reach
the site, never at the address a worker or a test client happened to use."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext


def absolute_url(location: str) -> str:
    """``SITE_URL`` + the path (and query) of ``location``; an absolute URL keeps only its path."""
    bits = urlsplit(location or "/")
    path = bits.path or "/"
    if bits.query:
        path = f"{path}?{bits.query}"
    return f"{settings.SITE_URL.rstrip('/')}{path}"


@dataclass(frozen=True)
class SiteInfo:
    """What allauth's templates read from ``current_site``: ``name`` and ``domain``."""

    name: str
    domain: str


def current_site() -> SiteInfo:
    """The site's name in the active language and the host of ``SITE_URL``."""
    return SiteInfo(name=gettext(settings.WAGTAIL_SITE_NAME), domain=urlsplit(settings.SITE_URL).netloc)
