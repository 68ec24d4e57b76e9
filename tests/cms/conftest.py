"""A small zone database and the site tree, shared by the exhibition-site tests."""
from __future__ import annotations

import pytest

from tests.factories import build_zone_db


@pytest.fixture
def zone_db(db):
    """See ``build_zone_db``: two zones, IPC titles, scope rules, five patents."""
    return build_zone_db()


@pytest.fixture
def site_pages(zone_db):
    from cms.services import ensure_site_pages

    return ensure_site_pages()
