"""The facet registry is the one place a facet is defined: engines, parameters, page and API follow it."""
from __future__ import annotations

import pytest

from search import facets
from search.backends.elasticsearch import FACET_FIELDS
from search.interface import FACETS, SearchFilters
from search.params import PARAMS, parse_search_params


def test_every_consumer_iterates_the_registry():
    assert FACETS == tuple(f.name for f in facets.REGISTRY if f.counted)
    assert set(FACET_FIELDS) == set(FACETS)
    for facet in facets.REGISTRY:
        assert facet.param in PARAMS, facet.name
        assert hasattr(SearchFilters(), facet.filter_attr), facet.name


@pytest.mark.django_db
def test_choice_facets_are_validated_from_their_choices():
    from search.params import SearchParamError

    for facet in facets.VALUE_FACETS:
        if facet.choices is None:
            continue
        good = facet.choices()[0][0]
        assert getattr(parse_search_params({facet.param: good}).filters, facet.filter_attr) == good
        with pytest.raises(SearchParamError) as info:
            parse_search_params({facet.param: "no-such-value"})
        assert info.value.param == facet.param


def test_document_facets_cover_every_level_and_value():
    from tests.factories import corpus

    pairs = facets.document_facets(corpus()[0])
    assert ("ipc_subgroup", "G01K11/32") in pairs and ("ipc_section", "G") in pairs
    assert ("zone", "Z6") in pairs and ("application_year", "2019") in pairs
    assert len(pairs) == len(set(pairs))


def test_facet_filter_and_params_round_trip():
    assert facets.facet_filter("application_year", "2020") == {"year_from": 2020, "year_to": 2020}
    assert facets.facet_filter("legal_status", "in_force") == {"legal_status": "in_force"}
    assert facets.facet_params("legal_status", "in_force") == {"status": "in_force"}
    assert facets.facet_params("ipc_subclass", "H01M") == {"ipc": "H01M"}
