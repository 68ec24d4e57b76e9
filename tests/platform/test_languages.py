"""Chinese first: the browser's language does not switch pages to English; the switch (cookie) does."""
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_pages_are_chinese_even_for_an_english_browser(client):
    html = client.get("/patents/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html
    assert "专利库" in html


def test_the_switch_makes_pages_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/patents/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/patents/").content.decode()
    assert 'lang="en"' in html
    assert "Patents" in html


def test_the_api_negotiates_by_accept_language(client):
    response = client.get("/api/search/patents", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
