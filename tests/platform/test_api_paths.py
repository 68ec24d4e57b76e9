"""The API kept its paths through the domain split: every path of main before the split is still served
(less the listing-level negotiation actions, which deals replaced; see docs/trading.md)."""
import pytest
from drf_spectacular.generators import SchemaGenerator

#: the OpenAPI paths of main at e4ed2e4, before the split
PATHS_BEFORE_SPLIT = [
    "/api/authorisations/",
    "/api/authorisations/{id}/accept/",
    "/api/authorisations/{id}/reject/",
    "/api/demands/",
    "/api/demands/{id}/",
    "/api/demands/{id}/approve/",
    "/api/demands/{id}/close/",
    "/api/demands/{id}/matches/",
    "/api/demands/{id}/reinstate/",
    "/api/demands/{id}/reject/",
    "/api/demands/{id}/review-start/",
    "/api/demands/{id}/submit/",
    "/api/demands/{id}/suspend/",
    "/api/demands/{id}/transitions/",
    "/api/demands/{id}/withdraw/",
    "/api/industries/",
    "/api/industries/{code}/",
    "/api/ipc/",
    "/api/ipc/{code}/",
    "/api/listings/",
    "/api/listings/{id}/",
    "/api/listings/{id}/approve/",
    "/api/listings/{id}/attachments/",
    "/api/listings/{id}/attachments/{attachment_id}/file/",
    "/api/listings/{id}/close/",
    "/api/listings/{id}/open-licence-take/",
    "/api/listings/{id}/reinstate/",
    "/api/listings/{id}/reject/",
    "/api/listings/{id}/review-start/",
    "/api/listings/{id}/submit/",
    "/api/listings/{id}/suspend/",
    "/api/listings/{id}/transitions/",
    "/api/listings/{id}/withdraw/",
    "/api/notifications/",
    "/api/notifications/preferences/",
    "/api/notifications/read-all/",
    "/api/notifications/{id}/",
    "/api/notifications/{id}/read/",
    "/api/organisations/",
    "/api/organisations/mine/",
    "/api/organisations/{id}/",
    "/api/organisations/{id}/reject/",
    "/api/organisations/{id}/revoke/",
    "/api/organisations/{id}/verify/",
    "/api/patents/",
    "/api/patents/{publication_number}/",
    "/api/review-queue/",
    "/api/saved-searches/",
    "/api/saved-searches/{id}/",
    "/api/search/autocomplete",
    "/api/search/patents",
    "/api/zones/",
    "/api/zones/{code}/",
]


@pytest.mark.django_db
def test_every_api_path_from_before_the_split_is_still_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = [path for path in PATHS_BEFORE_SPLIT if path not in schema["paths"]]
    assert missing == []


@pytest.mark.django_db
def test_the_listing_level_negotiation_actions_are_gone():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not [path for path in schema["paths"] if "negotiation-" in path]
