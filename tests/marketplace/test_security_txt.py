"""``/.well-known/security.txt`` follows RFC 9116 and names the contacts this installation configured."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


def _fields(body: str) -> list[tuple[str, str]]:
    return [tuple(part.strip() for part in line.split(":", 1)) for line in body.splitlines() if line.strip()]


def test_security_txt_lists_the_configured_contacts_languages_and_a_near_expiry(client, settings):
    settings.SECURITY_CONTACT_EMAIL = "security@patents.example.cn"
    settings.SECURITY_REPORT_URL = "https://github.com/zone-patents/exchange/security/advisories/new"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = _fields(response.content.decode())
    assert [value for name, value in fields if name == "Contact"] == [
        "mailto:security@patents.example.cn", "https://github.com/zone-patents/exchange/security/advisories/new",
    ]
    assert dict(fields)["Preferred-Languages"] == "zh, en"
    expires = dt.datetime.strptime(dict(fields)["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert timezone.now() < expires < timezone.now() + dt.timedelta(days=365)
    assert "Canonical" not in dict(fields)  # served over plain HTTP here: no Canonical that is not HTTPS


def test_security_txt_names_its_https_address_and_never_expires_more_than_a_year_ahead(client, settings):
    settings.SECURITY_CONTACT_EMAIL = "mailto:security@patents.example.cn"
    settings.SECURITY_TXT_EXPIRES_DAYS = 3650
    response = client.get("/.well-known/security.txt", secure=True)
    fields = dict(_fields(response.content.decode()))
    assert fields["Contact"] == "mailto:security@patents.example.cn"
    assert fields["Canonical"] == "https://testserver/.well-known/security.txt"
    expires = dt.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert expires < timezone.now() + dt.timedelta(days=365)


@pytest.mark.django_db
def test_without_a_configured_contact_there_is_no_security_txt(client, settings):
    settings.SECURITY_CONTACT_EMAIL = ""
    settings.SECURITY_REPORT_URL = ""
    assert client.get("/.well-known/security.txt").status_code == 404
    settings.SECURITY_CONTACT_EMAIL = "security@patents.example.cn"
    assert client.post("/.well-known/security.txt").status_code == 405
