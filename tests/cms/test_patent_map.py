"""The patent map (/patents/map/ and the zone pages): filing trend by filing year, top applicants, IPC, status mix."""
import json
import re

import pytest

from listings.catalogue.models import LegalStatus, Patent
from listings.catalogue.services.patents import patentees_sync
from tests.factories import PatentFactory, application_number

pytestmark = pytest.mark.django_db


def _json_script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


@pytest.fixture
def year_only_patents(zone_db):
    """Three patents of one applicant in zone Z1 known only by their application numbers' years."""
    zone = zone_db["zones"]["Z1"]
    made = []
    for serial, (year, status, wording) in enumerate(
        [(2012, LegalStatus.IN_FORCE, "专利权转移"), (2012, LegalStatus.LAPSED, "未缴年费专利权终止"),
         (2016, LegalStatus.IN_FORCE, "授权")], start=1,
    ):
        patent = PatentFactory(
            application_number=application_number(year, "1", 900 + serial), application_date=None,
            applicants=["科大讯飞股份有限公司"], legal_status=status, legal_status_text=wording,
            ipc=["G10L15/00"], zones=[zone],
        )
        patentees_sync(applicants={patent.pk: list(patent.applicants)})
        made.append(patent)
    return made


def test_map_page_uses_the_filing_year_and_counts_applicants(year_only_patents, client):
    response = client.get("/patents/map/", {"zone": "Z1", "applicant": "科大讯飞股份有限公司"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _json_script(html, "map-year-data") == {"labels": ["2012", "2016"], "counts": [2, 1]}
    assert "仅知年份" in html
    applicants = _json_script(html, "map-applicants-data")
    assert applicants["labels"] == ["科大讯飞股份有限公司"] and applicants["counts"] == [3]
    assert _json_script(html, "map-subclass-data")["labels"] == ["G10L"]
    status = _json_script(html, "map-status-data")
    assert dict(zip(status["keys"], status["counts"])) == {"in_force": 2, "lapsed": 1}
    assert "专利权转移 1" in html
    assert 'id="filter-applicant"' in html and 'id="filter-year-from"' in html


def test_year_filters_and_year_only_display(year_only_patents, client):
    listed = client.get("/patents/", {"year_from": "2013", "year_to": "2017"})
    found = list(listed.context["patents"])
    assert year_only_patents[2] in found and year_only_patents[0] not in found
    assert all(2013 <= p.application_year <= 2017 for p in found)
    bad = client.get("/patents/", {"year_from": "12"})
    assert bad.status_code == 400 and bad.context["filter_errors"][0].param == "year_from"
    page = client.get(year_only_patents[0].get_absolute_url()).content.decode()
    assert 'id="year-only"' in page and "2032" in page and "专利权转移" in page
    assert Patent.objects.get(pk=year_only_patents[0].pk).expiry_year == 2032


def test_zone_page_shows_the_patent_map(site_pages, year_only_patents, client):
    html = client.get("/zones/zhongguancun/").content.decode()
    assert "科大讯飞股份有限公司" in _json_script(html, "map-applicants-data")["labels"]
    assert 'href="/patents/map/?zone=Z1"' in html
