"""The anonymous column of the permission matrix, built from the OpenAPI schema: every API operation answered to
a visitor who is not signed in. Each operation must have an entry here, so a new route without one fails.

Reads that the public may make are listed in ``PUBLIC``; every other operation must refuse the anonymous (401/403,
or 404 where an object's existence is itself private) and never answer 2xx or 5xx. The other columns (other
organisation, member without the role, owner, operator) are covered per domain in tests/listings/*/test_api.py and
tests/listings/deals/; gathering them into this table is the next step (docs/security.md)."""
from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from tests.factories import DemandFactory, ListingFactory, OrganisationFactory, PatentFactory

#: operations (METHOD path-template) a visitor may call without signing in, and the status expected
PUBLIC = {
    "GET /api/demands/": 200, "GET /api/demands/{id}/": 200, "GET /api/industries/": 200,
    "GET /api/industries/{id}/": 200, "GET /api/ipc/": 200, "GET /api/ipc/{id}/": 200,
    "GET /api/listings/": 200, "GET /api/listings/{id}/": 200, "GET /api/organisations/": 200,
    "GET /api/organisations/{id}/": 200, "GET /api/patents/": 200, "GET /api/patents/{id}/": 200,
    "GET /api/search/patents": 200, "GET /api/search/autocomplete": 200, "GET /api/zones/": 200, "GET /api/zones/{id}/": 200,
}
REFUSED = {401, 403, 404, 405}


@pytest.fixture
def world(db):
    organisation = OrganisationFactory()
    patent = PatentFactory(holders=[organisation])
    listing = ListingFactory(organisation=organisation, patents=[patent])
    demand = DemandFactory(organisation=organisation)
    return {"patent": patent.pk, "listing": listing.pk, "demand": demand.pk, "organisation": organisation.pk}


def _operations() -> list[tuple[str, str]]:
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item
            if method in {"get", "post", "put", "patch", "delete"}]


def _fill(path: str, world: dict) -> str:
    prefix = path.split("/")[2]
    ids = {"patents": world["patent"], "listings": world["listing"], "demands": world["demand"],
           "organisations": world["organisation"]}
    return re.sub(r"\{[^}]+\}", lambda _m: str(ids.get(prefix, 1)), path)


def test_every_api_operation_answers_the_anonymous_as_listed(world):
    client = APIClient()
    operations = _operations()
    assert len(operations) > 50
    wrong = []
    for method, path in operations:
        key = f"{method} {path}"
        response = client.generic(method, _fill(path, world), data="{}", content_type="application/json")
        expected = PUBLIC.get(key)
        if expected is not None:
            if response.status_code != expected:
                wrong.append(f"{key}: {response.status_code}, expected {expected}")
        elif response.status_code not in REFUSED:
            wrong.append(f"{key}: {response.status_code} to an anonymous visitor (list it in PUBLIC if meant)")
    assert not wrong, "\n".join(wrong)
    assert set(PUBLIC) <= {f"{m} {p}" for m, p in operations}, "PUBLIC lists operations the schema no longer has"
