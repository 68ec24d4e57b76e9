"""``manage.py backup`` / ``restore``: an archive brings back the same patents, listings, demands and files on a fresh checkout."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

MAKE_DATA = """
from django.core.files.base import ContentFile
from listings.trading.models import ListingAttachment
from search import get_search_backend
from search.documents import iter_patent_documents
from tests.factories import DemandFactory, ListingFactory, PatentFactory
patents = [PatentFactory(title=f"备份测试专利{i}") for i in range(3)]
listing = ListingFactory(patents=patents[:2])
DemandFactory(title="备份测试需求")
attachment = ListingAttachment(listing=listing, patent=patents[0], kind="document", original_name="证书.pdf",
                               content_type="application/pdf", size=20,
                               uploaded_by=listing.created_by)
attachment.file.save("证书.pdf", ContentFile(b"%PDF-1.4 backup test"), save=True)
get_search_backend().rebuild(iter_patent_documents())
"""

REPORT = """
import json
from pathlib import Path
from django.conf import settings
from listings.catalogue.models import Patent
from listings.demands.models import Demand
from listings.trading.models import Listing, ListingAttachment
from search import get_search_backend
print(json.dumps({
    "patents": sorted(Patent.objects.values_list("publication_number", "title")),
    "listings": sorted(Listing.objects.values_list("title", flat=True)),
    "listing_patents": sorted(Listing.objects.values_list("patents__publication_number", flat=True)),
    "demands": sorted(Demand.objects.values_list("title", flat=True)),
    "files": sorted((a.file.name, Path(a.file.path).read_bytes().hex()) for a in ListingAttachment.objects.all()),
    "indexed": get_search_backend().count(),
}, ensure_ascii=False))
"""


def subprocess_env(var: Path) -> dict[str, str]:
    """The embedded default in ``var`` (a fresh checkout's var/), whatever services this run has."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL", "CELERY_BROKER_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings.local", "ZONE_VAR_DIR": str(var),
                "CELERY_TASK_ALWAYS_EAGER": "true", "DJANGO_DEBUG": "false"})
    return env


def manage(var: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=subprocess_env(var), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_a_backup_restores_on_a_fresh_checkout(tmp_path):
    source, fresh, archive = tmp_path / "source", tmp_path / "fresh", tmp_path / "backup.tar.gz"
    manage(source, "migrate", "--noinput", "-v0")
    manage(source, "shell", "-c", MAKE_DATA)
    before = last_json(manage(source, "shell", "-c", REPORT))
    assert len(before["patents"]) == 3 and before["files"] and before["indexed"] == 3

    manage(source, "backup", str(archive), "--no-progress")
    out = manage(fresh, "restore", str(archive), "--no-progress")
    assert "restored 3 patents, 1 listings, 1 demands, 1 files" in out

    assert last_json(manage(fresh, "shell", "-c", REPORT)) == before

    refused = subprocess.run([sys.executable, "manage.py", "restore", str(archive), "--no-progress"],
                             cwd=settings.BASE_DIR, env=subprocess_env(fresh), capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "already holds patents; pass --force" in refused.stderr
