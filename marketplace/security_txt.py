"""``/.well-known/security.txt`` (RFC 9116), generated from settings: where to report a vulnerability.

The contacts come from the environment (``SECURITY_CONTACT_EMAIL``: a security@ address on the operator's domain;
``SECURITY_REPORT_URL``: the repository's private vulnerability reporting page), so each installation names its own
and no address is written in the code. Without any contact the file is not served (404): RFC 9116 requires at
least one ``Contact``, and an invalid file is worse than none. ``Expires`` is always in the future and at most
``SECURITY_TXT_EXPIRES_DAYS`` (under a year, as the RFC recommends) ahead; the file is regenerated on each request.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

PREFERRED_LANGUAGES = "zh, en"


def security_contacts() -> list[str]:
    """The ``Contact`` URIs, e-mail first (RFC 9116 §2.5.3: listed in order of preference)."""
    contacts = []
    email = (settings.SECURITY_CONTACT_EMAIL or "").strip()
    if email:
        contacts.append(email if email.startswith("mailto:") else f"mailto:{email}")
    url = (settings.SECURITY_REPORT_URL or "").strip()
    if url:
        contacts.append(url)
    return contacts


def security_txt_body(*, now: dt.datetime | None = None) -> str:
    contacts = security_contacts()
    if not contacts:
        raise Http404("no security contact configured (SECURITY_CONTACT_EMAIL, SECURITY_REPORT_URL)")
    now = now or timezone.now()
    days = min(settings.SECURITY_TXT_EXPIRES_DAYS, 364)  # RFC 9116 §2.5.5: less than a year ahead
    expires = (now + dt.timedelta(days=days)).astimezone(dt.UTC).replace(microsecond=0)
    lines = [f"Contact: {contact}" for contact in contacts]
    lines.append(f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    lines.append(f"Preferred-Languages: {PREFERRED_LANGUAGES}")
    if settings.SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.SECURITY_POLICY_URL}")
    return "\n".join(lines) + "\n"


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    body = security_txt_body()
    lines = body.splitlines()
    canonical = request.build_absolute_uri("/.well-known/security.txt")
    if canonical.startswith("https://"):  # RFC 9116 §2.5.2: the URI the file is served from (web URIs over HTTPS)
        lines.append(f"Canonical: {canonical}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
