"""The permission matrix: every API operation (from the OpenAPI schema) and every page (from the URL resolver) ×
five identities, each cell with the status it must answer (issue 8, "Proof").

Identities (columns, in this order): ``anon`` (not signed in) · ``other`` (a member of another verified
organisation, holder + demand + broker) · ``norole`` (a member of the owning organisation whose only role is lender)
· ``owner`` (a member of the owning organisation with the holder and demand roles; the seller in the deal) ·
``operator`` (staff). The world is in ``matrix_world.py``; every cell runs in a savepoint that is rolled back, so all
cells see the same world. A route the schema or the resolver has and the tables below do not fails the test, as
does a row for a route that no longer exists.

Reading a row: 2xx the identity may do it; 302 a page sending the anonymous to the login page (checked); 400 the
identity passed the permission check and the empty body was refused field by field; 403 refused; 404 the object
is not visible to that identity (its existence is private); 405 the method is not offered; 409 allowed for that
identity but not in the object's present state. On pages that act (POST), 302 sends the person back with a
message: done, or the named refusal of a state the whole public can see (a published listing cannot be submitted);
403/404 are the permission refusals.
"""
from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.platform.matrix_world import IDENTITIES, build_world, rolled_back

pytestmark = pytest.mark.django_db  # the test database is set up for this module (the world is module-scoped)

#: the API: "METHOD path" → statuses for (anon, other, norole, owner, operator)
API: dict[str, tuple[int, int, int, int, int]] = {
    #                                                      anon other norole owner operator
    "GET /api/authorisations/": (403, 403, 403, 403, 200),
    "POST /api/authorisations/{id}/accept/": (403, 403, 403, 403, 200),
    "POST /api/authorisations/{id}/reject/": (403, 403, 403, 403, 400),
    "GET /api/deal-brokers/": (403, 200, 200, 200, 200),
    "POST /api/deal-brokers/{id}/accept/": (403, 404, 404, 404, 403),
    "POST /api/deal-brokers/{id}/decline/": (403, 404, 404, 404, 403),
    # escrow: the world's deal has no escrow yet, so a party reads 404 like an outsider (escrow's own suite covers the rest)
    "GET /api/escrow-reconciliation/": (403, 403, 403, 403, 200),
    "GET /api/escrow-statements/{id}/": (403, 404, 200, 200, 200),
    "GET /api/escrows/{deal}/": (403, 404, 404, 404, 404),
    "POST /api/escrows/{deal}/accept/": (403, 404, 404, 404, 404),
    "POST /api/escrows/{deal}/dispute/": (403, 404, 404, 404, 404),
    "POST /api/escrows/{deal}/fund/": (403, 404, 404, 404, 404),
    "POST /api/escrows/{deal}/request-release/": (403, 404, 404, 404, 404),
    "GET /api/escrows/{deal}/statement/": (403, 404, 404, 404, 404),
    "GET /api/deals/": (403, 200, 200, 200, 200),
    "POST /api/deal-brokers/{id}/assign/": (403, 404, 404, 404, 400),  # operators only, asked before the body
    # one operation per deal action; the world's deal is negotiating, so actions of other states are 409 for a party
    # norole (the seller's lender member) reads the deal but acts in nothing: 403 before the body is read
    "POST /api/deals/{id}/accept/": (403, 404, 403, 409, 409),
    "POST /api/deals/{id}/cancel/": (403, 404, 403, 200, 200),
    "POST /api/deals/{id}/close/": (403, 404, 403, 409, 409),
    "POST /api/deals/{id}/decline/": (403, 404, 403, 409, 409),
    "POST /api/deals/{id}/dispute/": (403, 404, 403, 409, 409),
    "POST /api/deals/{id}/resolve/": (403, 404, 403, 409, 409),
    "POST /api/deals/{id}/revise/": (403, 404, 403, 409, 409),
    "POST /api/deals/{id}/offers/{offer_pk}/accept/": (403, 404, 403, 200, 403),
    "POST /api/deals/{id}/offers/{offer_pk}/reject/": (403, 404, 403, 200, 403),
    "POST /api/deals/{id}/offers/{offer_pk}/withdraw/": (403, 404, 403, 403, 403),  # only the side that made it
    "POST /api/deals/{id}/review/mitigate/": (403, 404, 403, 404, 404),  # the world's deal has no IP review yet
    "POST /api/deals/{id}/review/proceed/": (403, 404, 403, 404, 404),
    "POST /api/deals/{id}/review/stop/": (403, 404, 403, 404, 404),
    "GET /api/deals/{id}/": (403, 404, 200, 200, 200),
    "GET /api/deals/{id}/brokers/": (403, 404, 200, 200, 200),
    "POST /api/deals/{id}/brokers/": (403, 404, 403, 400, 400),
    "POST /api/deals/{id}/chat/": (403, 404, 403, 400, 400),
    "POST /api/deals/{id}/commission/": (403, 404, 403, 400, 400),
    "GET /api/deals/{id}/contract/": (403, 404, 400, 400, 400),
    "POST /api/deals/{id}/contract/confirm/": (403, 404, 403, 400, 400),
    "GET /api/deals/{id}/contract/pdf/": (403, 404, 400, 400, 400),
    "GET /api/deals/{id}/documents/": (403, 404, 200, 200, 200),
    "POST /api/deals/{id}/documents/": (403, 404, 403, 400, 400),
    "GET /api/deals/{id}/documents/{document_pk}/download/": (403, 404, 200, 200, 200),
    "GET /api/deals/{id}/messages/": (403, 404, 200, 200, 200),
    "GET /api/deals/{id}/nda/": (403, 404, 200, 200, 200),
    "POST /api/deals/{id}/nda/": (403, 404, 403, 400, 400),
    "GET /api/deals/{id}/offers/": (403, 404, 200, 200, 200),
    "POST /api/deals/{id}/offers/": (403, 404, 403, 400, 400),
    "GET /api/deals/{id}/review/": (403, 404, 404, 404, 404),  # no IP review opened on this deal
    "POST /api/deals/{id}/review/findings/": (403, 404, 403, 404, 404),
    "POST /api/deals/enquiry/": (403, 400, 400, 400, 400),
    "POST /api/deals/from-match/": (403, 400, 400, 400, 400),
    "GET /api/demands/": (200, 200, 200, 200, 200),
    "POST /api/demands/": (403, 400, 400, 400, 400),
    "GET /api/demands/{id}/": (200, 200, 200, 200, 200),
    "PATCH /api/demands/{id}/": (403, 403, 403, 400, 403),
    "POST /api/demands/{id}/approve/": (403, 403, 403, 403, 409),
    "POST /api/demands/{id}/close/": (403, 403, 403, 200, 403),
    "GET /api/demands/{id}/matches/": (403, 404, 200, 200, 200),
    "POST /api/demands/{id}/reinstate/": (403, 403, 403, 403, 409),
    "POST /api/demands/{id}/reject/": (403, 403, 403, 403, 409),
    "POST /api/demands/{id}/review-start/": (403, 403, 403, 403, 409),
    "POST /api/demands/{id}/submit/": (403, 403, 403, 409, 403),
    "POST /api/demands/{id}/suspend/": (403, 403, 403, 403, 400),
    "GET /api/demands/{id}/transitions/": (403, 403, 403, 200, 200),
    "POST /api/demands/{id}/withdraw/": (403, 403, 403, 200, 403),
    "GET /api/industries/": (200, 200, 200, 200, 200),
    "GET /api/industries/{code}/": (200, 200, 200, 200, 200),
    "GET /api/ipc/": (200, 200, 200, 200, 200),
    "GET /api/ipc/{code}/": (200, 200, 200, 200, 200),
    "GET /api/ipc/lookup/": (400, 400, 400, 400, 400),  # public like the IPC scheme; without ``q`` it names the parameter
    "GET /api/listings/": (200, 200, 200, 200, 200),
    "POST /api/listings/{id}/close/": (403, 403, 403, 400, 400),  # the actor is checked before the body
    "POST /api/listings/": (403, 400, 400, 400, 400),
    "GET /api/listings/{id}/": (200, 200, 200, 200, 200),
    "PATCH /api/listings/{id}/": (403, 403, 403, 409, 403),
    "POST /api/listings/{id}/approve/": (403, 403, 403, 403, 409),
    "POST /api/listings/{id}/attachments/": (403, 404, 404, 415, 403),
    "GET /api/listings/{id}/attachments/{attachment_id}/file/": (404, 404, 404, 200, 200),
    "POST /api/listings/{id}/open-licence-take/": (403, 400, 400, 400, 400),  # anyone signed in may take an open licence
    "POST /api/listings/{id}/reinstate/": (403, 403, 403, 403, 409),
    "POST /api/listings/{id}/reject/": (403, 403, 403, 403, 409),
    "POST /api/listings/{id}/review-start/": (403, 403, 403, 403, 409),
    "POST /api/listings/{id}/submit/": (403, 403, 403, 409, 403),
    "POST /api/listings/{id}/suspend/": (403, 403, 403, 403, 400),
    "GET /api/listings/{id}/transitions/": (403, 403, 403, 200, 200),
    "POST /api/listings/{id}/withdraw/": (403, 403, 403, 200, 403),
    "GET /api/notifications/": (403, 200, 200, 200, 200),
    "GET /api/notifications/{id}/": (403, 404, 404, 200, 404),
    "POST /api/notifications/{id}/read/": (403, 404, 404, 200, 404),
    "GET /api/notifications/preferences/": (403, 200, 200, 200, 200),
    "PUT /api/notifications/preferences/": (403, 200, 200, 200, 200),
    "POST /api/notifications/read-all/": (403, 200, 200, 200, 200),
    "GET /api/organisations/": (200, 200, 200, 200, 200),
    "POST /api/organisations/": (403, 400, 400, 400, 400),
    "GET /api/organisations/{id}/": (200, 200, 200, 200, 200),
    "POST /api/organisations/{id}/reject/": (403, 403, 403, 403, 409),
    "POST /api/organisations/{id}/revoke/": (403, 403, 403, 403, 400),
    "POST /api/organisations/{id}/verify/": (403, 403, 403, 403, 409),
    "GET /api/organisations/mine/": (403, 200, 200, 200, 200),
    "GET /api/patents/": (200, 200, 200, 200, 200),
    "GET /api/patents/{publication_number}/": (200, 200, 200, 200, 200),
    "GET /api/review-queue/": (403, 403, 403, 403, 200),
    "GET /api/saved-searches/": (403, 200, 200, 200, 200),
    "POST /api/saved-searches/": (403, 400, 400, 400, 400),
    "GET /api/saved-searches/{id}/": (403, 404, 404, 200, 404),
    "PUT /api/saved-searches/{id}/": (403, 404, 404, 200, 404),
    "PATCH /api/saved-searches/{id}/": (403, 404, 404, 200, 404),
    "DELETE /api/saved-searches/{id}/": (403, 404, 404, 204, 404),
    "GET /api/search/autocomplete": (200, 200, 200, 200, 200),
    "GET /api/search/fields": (400, 400, 400, 400, 400),
    "GET /api/search/patents": (200, 200, 200, 200, 200),
    "GET /api/zones/": (200, 200, 200, 200, 200),
    "GET /api/zones/{code}/": (200, 200, 200, 200, 200),
}

#: the pages: "METHOD route" → statuses for (anon, other, norole, owner, operator); POST for routes that only act
PAGES: dict[str, tuple[int, int, int, int, int]] = {
    #                                                      anon other norole owner operator
    "GET healthz": (200, 200, 200, 200, 200),
    "GET healthz/ready": (200, 200, 200, 200, 200),
    "GET healthz/live": (200, 200, 200, 200, 200),
    "GET metrics": (403, 403, 403, 403, 200),
    "GET .well-known/security.txt": (200, 200, 200, 200, 200),
    "GET django-admin/login/": (302, 302, 302, 302, 302),
    "GET admin/login/": (302, 302, 302, 302, 302),
    "GET accounts/signup/": (200, 302, 302, 302, 302),
    "GET api/schema/": (200, 200, 200, 200, 200),
    "GET api/docs/": (200, 200, 200, 200, 200),
    "GET search/": (200, 200, 200, 200, 200),
    "GET escrow/deals/<int:deal_pk>/": (302, 404, 404, 404, 404),
    "POST escrow/deals/<int:deal_pk>/<str:action>/": (302, 404, 404, 404, 404),
    "GET escrow/operator/": (302, 403, 403, 403, 200),
    "GET escrow/statements/exchange/": (302, 403, 403, 403, 200),
    "GET escrow/statements/<int:org_pk>/": (302, 404, 200, 200, 200),
    "GET escrow/reconciliation/": (302, 403, 403, 403, 200),
    "GET escrow/stripe/webhook/": (405, 405, 405, 405, 405),
    "GET me/notifications/": (302, 200, 200, 200, 200),
    "POST me/notifications/<int:pk>/read/": (302, 404, 404, 302, 404),
    "POST me/notifications/read-all/": (302, 302, 302, 302, 302),
    "GET me/notifications/preferences/": (302, 200, 200, 200, 200),
    "GET me/organisations/": (302, 200, 200, 200, 200),
    "GET review/": (302, 403, 403, 403, 200),
    "POST review/organisations/<int:pk>/verify/": (302, 403, 403, 403, 302),
    "POST review/organisations/<int:pk>/reject/": (302, 403, 403, 403, 302),
    "POST review/organisations/<int:pk>/revoke/": (302, 403, 403, 403, 302),
    "GET demands/<int:pk>/matches/": (302, 404, 200, 200, 200),
    "GET me/matching-demands/": (302, 200, 200, 200, 200),
    "GET me/saved-searches/": (302, 200, 200, 200, 200),
    "POST me/saved-searches/<int:pk>/delete/": (302, 404, 404, 302, 404),
    "POST me/saved-searches/<int:pk>/frequency/": (302, 404, 404, 302, 404),
    "GET listings/": (200, 200, 200, 200, 200),
    "GET listings/new/": (302, 200, 302, 200, 302),
    "GET listings/<int:pk>/": (200, 200, 200, 200, 200),
    "GET listings/<int:pk>/edit/": (302, 403, 403, 302, 403),
    "POST listings/<int:pk>/files/": (302, 404, 404, 302, 302),
    "GET listings/<int:pk>/files/<int:attachment_id>/": (404, 404, 404, 200, 200),
    "POST listings/<int:pk>/files/<int:attachment_id>/delete/": (302, 404, 404, 302, 403),
    "POST listings/<int:pk>/open-licence/": (302, 404, 404, 404, 404),
    "GET me/deals/": (302, 200, 200, 200, 200),
    "POST deals/<int:pk>/brokers/<int:broker_pk>/accept/": (302, 404, 403, 403, 403),  # only the broker organisation answers
    "POST deals/<int:pk>/brokers/<int:broker_pk>/decline/": (302, 404, 403, 403, 403),
    "GET me/": (302, 200, 200, 200, 200),
    "GET me/tokens/": (302, 200, 200, 200, 200),
    # a token is its owner's alone: another member's revoke is a 404, the owner's a redirect back to the list
    "POST me/tokens/<int:pk>/revoke/": (302, 404, 404, 302, 404),
    "POST me/tokens/legacy/revoke/": (302, 302, 302, 302, 302),
    "GET deals/operator/": (302, 403, 403, 403, 200),
    "GET listings/<int:listing_pk>/deal/": (302, 200, 200, 200, 200),
    "POST matches/<int:match_pk>/deal/": (302, 404, 404, 404, 404),
    "GET deals/<int:pk>/": (302, 404, 200, 200, 200),
    # norole reads the room but acts in nothing (403); a refused actor is a 403 page, a refused state a 302 + message
    "POST deals/<int:pk>/messages/": (302, 404, 403, 302, 302),
    "GET deals/<int:pk>/offers/new/": (302, 404, 403, 200, 200),
    "POST deals/<int:pk>/offers/<int:offer_pk>/accept/": (302, 404, 403, 302, 403),
    "POST deals/<int:pk>/offers/<int:offer_pk>/reject/": (302, 404, 403, 302, 403),
    "POST deals/<int:pk>/offers/<int:offer_pk>/withdraw/": (302, 404, 403, 403, 403),
    "POST deals/<int:pk>/commission/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/brokers/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/brokers/<int:broker_pk>/assign/": (302, 404, 404, 404, 404),
    "POST deals/<int:pk>/documents/": (302, 404, 403, 302, 302),
    "GET deals/<int:pk>/documents/<int:document_pk>/": (302, 404, 200, 200, 200),
    "POST deals/<int:pk>/nda/": (302, 404, 403, 403, 403),
    "GET deals/<int:pk>/review/": (302, 404, 200, 200, 200),
    "POST deals/<int:pk>/review/mitigate/": (302, 404, 403, 404, 404),
    "POST deals/<int:pk>/review/proceed/": (302, 404, 403, 404, 404),
    "POST deals/<int:pk>/review/stop/": (302, 404, 403, 404, 404),
    "POST deals/<int:pk>/review/finding/": (302, 404, 403, 404, 404),
    "GET deals/<int:pk>/contract/": (302, 404, 302, 302, 302),
    "GET deals/<int:pk>/contract.pdf": (302, 404, 404, 404, 404),
    "POST deals/<int:pk>/contract/confirm/": (302, 404, 403, 302, 403),
    "POST deals/<int:pk>/accept/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/decline/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/cancel/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/revise/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/dispute/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/resolve/": (302, 404, 403, 302, 302),
    "POST deals/<int:pk>/close/": (302, 404, 403, 302, 302),
    "POST listings/<int:pk>/submit/": (302, 302, 302, 302, 302),
    "POST listings/<int:pk>/withdraw/": (302, 403, 403, 200, 403),  # the owner first sees the confirmation page
    "GET demands/": (200, 200, 200, 200, 200),
    "GET demands/new/": (302, 200, 302, 200, 302),
    "GET demands/<int:pk>/": (200, 200, 200, 200, 200),
    "GET demands/<int:pk>/edit/": (302, 403, 403, 200, 403),
    "POST demands/<int:pk>/submit/": (302, 302, 302, 302, 302),
    "POST demands/<int:pk>/withdraw/": (302, 403, 403, 200, 403),  # the owner first sees the confirmation page
    "POST demands/<int:pk>/close/": (302, 403, 403, 302, 403),
    "GET me/listings/": (302, 200, 200, 200, 200),
    "GET me/demands/": (302, 200, 200, 200, 200),
    "POST review/listings/<int:pk>/review_start/": (302, 403, 403, 403, 302),
    "POST review/listings/<int:pk>/approve/": (302, 403, 403, 403, 302),
    "POST review/listings/<int:pk>/reject/": (302, 403, 403, 403, 302),
    "POST review/listings/<int:pk>/suspend/": (302, 403, 403, 403, 302),
    "POST review/listings/<int:pk>/reinstate/": (302, 403, 403, 403, 302),
    "POST review/demands/<int:pk>/review_start/": (302, 403, 403, 403, 302),
    "POST review/demands/<int:pk>/approve/": (302, 403, 403, 403, 302),
    "POST review/demands/<int:pk>/reject/": (302, 403, 403, 403, 302),
    "POST review/demands/<int:pk>/suspend/": (302, 403, 403, 403, 302),
    "POST review/demands/<int:pk>/reinstate/": (302, 403, 403, 403, 302),
    "POST review/authorisations/<int:attachment_id>/accept/": (302, 403, 403, 403, 302),
    "POST review/authorisations/<int:attachment_id>/reject/": (302, 403, 403, 403, 302),
    "POST review/patentees/<int:pk>/confirm/": (302, 403, 403, 403, 302),  # no organisation chosen: back, with the error
    "GET patents/": (200, 200, 200, 200, 200),
    "GET patents/map/": (200, 200, 200, 200, 200),
    "GET patents/<str:publication_number>/": (200, 200, 200, 200, 200),
}

#: URL includes that are not this project's pages, and why they are not rows here
NOT_OURS = {
    "django-admin/": "the Django admin: staff only, Django's own permission system (its login is a row)",
    "admin/": "the Wagtail admin: staff only, Wagtail's own permissions (its login is a row)",
    "documents/": "Wagtail documents: served by Wagtail's own view-restriction checks",
    "accounts/": "allauth's account pages (the sign-up is a row; logins are covered in tests/marketplace/test_security.py)",
    "i18n/": "Django's language switch (no object, no permission)",
    "i18n/setlang/": "the language switch, which also stores a member's choice (no object; tests/marketplace/test_accounts.py)",
    "api/": "the API: the API table above, built from the schema",
}

#: which object a path parameter names; a route-specific choice first (files belong to the draft listing)
_BY_ROUTE = [
    (r"listings/<int:pk>/files/", {"pk": "draft"}),
    (r"^/api/listings/\{id\}/attachments/", {"id": "draft"}),
    (r"^/api/authorisations/", {"id": "attachment"}),
    (r"^/api/deal-brokers/", {"id": "broker"}),
    (r"review/authorisations/", {"pk": "attachment"}),
    (r"^escrow/deals/<int:deal_pk>/<str:action>/", {"action": "cancel"}),
]
_BY_SEGMENT = {
    "listings": "listing", "demands": "demand", "deals": "deal", "notifications": "notification",
    "saved-searches": "saved_search", "organisations": "organisation", "patents": "patent", "zones": "zone",
    "industries": "industry", "ipc": "ipc", "escrow": "deal", "escrows": "deal",
    "escrow-statements": "organisation", "tokens": "token", "patentees": "patentee",
}
_BY_NAME = {
    "listing_pk": "listing", "match_pk": "match", "offer_pk": "offer", "broker_pk": "broker",
    "document_pk": "document", "attachment_id": "attachment", "deal_pk": "deal", "org_pk": "organisation",
    "publication_number": "patent", "code": None,
}
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _fill(route: str, ids: dict) -> str:
    """A concrete URL for a route template: each parameter names an object of the owning organisation."""
    chosen = {}
    for pattern, choice in _BY_ROUTE:
        if re.search(pattern, route):
            chosen.update(choice)
    segment = next((part for part in route.strip("/").split("/") if part not in {"api", "review", "me"}), "")

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name in chosen:
            picked = chosen[name]
            return str(ids.get(picked, picked))
        if _BY_NAME.get(name):
            return str(ids[_BY_NAME[name]])
        return str(ids[_BY_SEGMENT[segment]])

    url = _PARAM.sub(value, route)
    return url if url.startswith("/") else "/" + url


def _clients(world: dict, client_class) -> dict:
    clients = {"anon": client_class()}
    for name, user in world["users"].items():
        clients[name] = client_class()
        clients[name].force_login(user)
    return clients


def _api_operations() -> list[str]:
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
            if method in {"get", "post", "put", "patch", "delete"}]


def _page_routes() -> list[str]:
    """Every route of the project's own pages, from the resolver (the Wagtail page tree and NOT_OURS left out)."""
    routes: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route in NOT_OURS or getattr(entry.urlconf_name, "__name__", "").startswith("wagtail"):
                    continue
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route not in NOT_OURS:
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return routes


def _check(table: dict, keys: list[str], world: dict, clients: dict, *, json_body: bool) -> tuple[list[str], int]:
    wrong, cells = [], 0
    for key in keys:
        method, route = key.split(" ", 1)
        url = _fill(route, world["ids"])
        got = []
        for identity in IDENTITIES:
            with rolled_back():
                if json_body:
                    response = clients[identity].generic(method, url, data="{}", content_type="application/json")
                else:
                    response = clients[identity].generic(method, url)
            got.append(response.status_code)
            if identity == "anon" and response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), f"{key}: anonymous sent to {response['Location']}"
            cells += 1
        if tuple(got) != table.get(key):
            wrong.append(f'    "{key}": ({", ".join(map(str, got))}),  # expected {table.get(key)}')
    return wrong, cells


def _report(kind: str, rows: int, cells: int, capsys) -> None:
    with capsys.disabled():
        print(f"\npermission matrix ({kind}): {rows} routes × {len(IDENTITIES)} identities = {cells} cells checked")


def test_every_api_operation_answers_each_identity_as_listed(world, write_rate, capsys):
    write_rate("100000/min")
    operations = _api_operations()
    assert len(operations) > 50
    stale = set(API) - set(operations)
    assert not stale, f"rows for operations the schema no longer has: {sorted(stale)}"
    wrong, cells = _check(API, operations, world, _clients(world, APIClient), json_body=True)
    assert not wrong, "cells that differ (actual row, then the table's):\n" + "\n".join(wrong)
    _report("API", len(operations), cells, capsys)


def _page_keys() -> tuple[list[str], list[str]]:
    routes = _page_routes()
    listed = {key.split(" ", 1)[1]: key for key in PAGES}
    missing = [route for route in routes if route not in listed]
    stale = set(listed) - set(routes)
    assert not stale, f"rows for pages the resolver no longer has: {sorted(stale)}"
    return [listed.get(route, f"GET {route}") for route in routes], missing


def test_every_page_answers_each_identity_as_listed(world, settings, capsys):
    settings.SECURITY_CONTACT_EMAIL = "security@patents.example.cn"  # served only when a contact is configured
    keys, missing = _page_keys()
    assert len(keys) > 50
    wrong, cells = _check(PAGES, keys, world, _clients(world, Client), json_body=False)
    assert not missing and not wrong, (
        "cells that differ (actual row, then the table's):\n" + "\n".join(wrong)
        + ("\nroutes without a row: " + ", ".join(missing) if missing else "")
    )
    _report("pages", len(keys), cells, capsys)
