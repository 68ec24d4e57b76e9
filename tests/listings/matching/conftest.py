"""Fixtures of the matching suite."""
from __future__ import annotations

import pytest

MEMORY_BACKEND = "tests.listings.matching.memory_backend"


@pytest.fixture
def memory_search(settings, _isolated_search_index):
    """The in-memory engine as the configured backend; returns it, empty."""
    from search import get_search_backend, reset_search_backends

    settings.SEARCH_BACKEND = MEMORY_BACKEND
    reset_search_backends()
    return get_search_backend()


@pytest.fixture
def index_all():
    """Put every patent of the database into the configured engine (what the on-commit task does)."""

    def run():
        from search import get_search_backend
        from search.documents import iter_patent_documents

        backend = get_search_backend()
        return backend.rebuild(iter_patent_documents())

    return run
