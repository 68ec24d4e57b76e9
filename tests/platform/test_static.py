"""Static files as the served site gets them: hashed names, gzip/Brotli copies, long cache lifetimes, /favicon.ico."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

CMS_STATIC = Path(settings.BASE_DIR) / "cms" / "static"


def test_favicon_ico_is_served_at_the_root():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert "max-age=" in response["Cache-Control"]


def test_the_served_settings_hash_compress_and_cache(tmp_path):
    from marketplace.settings import base

    assert base.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert base.WHITENOISE_USE_FINDERS is False  # serve the collected (compressed) copies, not the sources
    assert base.WHITENOISE_MAX_AGE >= 3600


@pytest.mark.django_db
def test_collected_files_are_hashed_compressed_and_immutable(tmp_path):
    storages = dict(settings.STORAGES)
    storages["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    with override_settings(
        STORAGES=storages,
        STATIC_ROOT=tmp_path,
        STATICFILES_DIRS=[CMS_STATIC],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        WHITENOISE_USE_FINDERS=False,
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        url = static("vendor/echarts/echarts.min.js")
        assert url != "/static/vendor/echarts/echarts.min.js"  # a content hash in the name
        hashed = tmp_path / url.removeprefix("/static/")
        assert hashed.exists() and Path(f"{hashed}.gz").exists() and Path(f"{hashed}.br").exists()

        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "br"
        assert int(response["Content-Length"]) < hashed.stat().st_size / 2
        assert "immutable" in response["Cache-Control"]
        assert "max-age=315360000" in response["Cache-Control"]
