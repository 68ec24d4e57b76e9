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

from tests.factories import (
    DemandFactory,
    IndustryFactory,
    IpcEntryFactory,
    ListingFactory,
    OrganisationFactory,
    PatentFactory,
    ZoneFactory,
)

#: operations (METHOD path-template) a visitor may call without signing in, and the status expected
PUBLIC = {
    "GET /api/demands/": 200, "GET /api/demands/{id}/": 200, "GET /api/industries/": 200,
    "GET /api/industries/{id}/": 200, "GET /api/ipc/": 200, "GET /api/ipc/{id}/": 200,
    "GET /api/listings/": 200, "GET /api/listings/{id}/": 200, "GET /api/organisations/": 200,
    "GET /api/organisations/{id}/": 200, "GET /api/patents/": 200, "GET /api/patents/{id}/": 200,
    "GET /api/search/patents": 200, "GET /api/search/autocomplete": 200,
    "GET /api/search/fields": 400,  # public; without ``q`` it names the missing parameter
    "GET /api/ipc/lookup/": 400,  # public like the IPC scheme; without ``q`` it names the missing parameter
    "GET /api/zones/": 200, "GET /api/zones/{id}/": 200,
}
REFUSED = {401, 403, 404, 405}


@pytest.fixture
def world(db):
    organisation = OrganisationFactory()
    patent = PatentFactory(holders=[organisation])
    listing = ListingFactory(organisation=organisation, patents=[patent])
    demand = DemandFactory(organisation=organisation)
    return {"patents": patent.publication_number, "listings": listing.pk, "demands": demand.pk,
            "organisations": organisation.pk, "zones": ZoneFactory().code, "industries": IndustryFactory().code,
            "ipc": IpcEntryFactory().code}


def _operations() -> list[tuple[str, str]]:
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item
            if method in {"get", "post", "put", "patch", "delete"}]


def _key(method: str, path: str) -> str:
    """``GET /api/patents/{id}/`` whatever the schema names the path parameter."""
    return f"{method} {re.sub(r'[{][^}]+[}]', '{id}', path)}"


def _fill(path: str, world: dict) -> str:
    value = world.get(path.split("/")[2], 1)
    return re.sub(r"[{][^}]+[}]", lambda _m: str(value), path)


def test_every_api_operation_answers_the_anonymous_as_listed(world):
    client = APIClient()
    operations = _operations()
    assert len(operations) > 50
    wrong = []
    for method, path in operations:
        key = _key(method, path)
        response = client.generic(method, _fill(path, world), data="{}", content_type="application/json")
        expected = PUBLIC.get(key)
        if expected is not None:
            if response.status_code != expected:
                wrong.append(f"{key}: {response.status_code}, expected {expected}")
        elif response.status_code not in REFUSED:
            wrong.append(f"{key}: {response.status_code} to an anonymous visitor (list it in PUBLIC if meant)")
    assert not wrong, "\n".join(wrong)
    assert set(PUBLIC) <= {_key(m, p) for m, p in operations}, "PUBLIC lists operations the schema no longer has"
