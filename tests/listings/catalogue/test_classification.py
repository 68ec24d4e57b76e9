"""Classification by IPC scope (IpcScopeRule semantics) and the term of each kind of patent."""
from __future__ import annotations

import datetime as dt

import pytest

from listings.catalogue.models import IpcScopeRule, Patent, PatentKind, compute_expiry
from listings.catalogue.services.classification import patents_classify, patents_reclassify_all
from listings.catalogue.services.zone_directory import zone_directory_load
from tests.factories import IndustryFactory, IpcScopeRuleFactory, PatentFactory, ZoneFactory

pytestmark = pytest.mark.django_db
EXCLUDE = IpcScopeRule.Role.EXCLUDE
EXACT = IpcScopeRule.Match.EXACT


def _industries(patent: Patent) -> set[str]:
    return set(patent.industries.values_list("code", flat=True))


def test_h04b10_patent_lands_in_zone_z6_optical_communication():
    zone_directory_load(use_shared=False)  # the built-in scope works without ../shared/data
    patent = PatentFactory(ipc=["H04B10/25"])
    other = PatentFactory(ipc=["A01B1/02"])

    changed = patents_classify(patent_ids=[patent.pk, other.pk])

    assert changed == {patent.pk}
    assert list(patent.zones.values_list("code", "industry__name_zh")) == [("Z6", "光通信")]
    assert _industries(patent) == {"Z6"}
    assert not other.zones.exists()
    assert patents_classify(patent_ids=[patent.pk, other.pk]) == set()  # idempotent


def test_h04b10_patent_in_z6_with_the_shared_mapping(shared_data):
    zone_directory_load(data_dir=shared_data)
    patent = PatentFactory(ipc=["H04B10/2575"])
    patents_classify(patent_ids=[patent.pk])
    assert "Z6" in set(patent.zones.values_list("code", flat=True))
    # SEI-2021 1.1 下一代信息网络产业, rule 1: include G06F11/ but not exactly G06F11/14 (and rule 2 excludes G06F11/)
    fault_tolerance = PatentFactory(ipc=["G06F11/14"])
    error_detection = PatentFactory(ipc=["G06F11/10"])
    patents_classify(patent_ids=[fault_tolerance.pk, error_detection.pk])
    assert "SEI-1.1" in _industries(error_detection)
    assert "SEI-1.1" not in _industries(fault_tolerance)


def test_exclude_of_the_same_group_removes_a_code_but_another_group_can_take_it():
    industry = IndustryFactory(code="T-EX")
    IpcScopeRuleFactory(industry=industry, rule_no=1, pattern="G06F")
    IpcScopeRuleFactory(industry=industry, rule_no=1, role=EXCLUDE, pattern="G06F3/")
    IpcScopeRuleFactory(industry=industry, rule_no=1, role=EXCLUDE, pattern="G06F16/27", match=EXACT)
    IpcScopeRuleFactory(industry=industry, rule_no=2, pattern="G06F3/048", match=EXACT)
    inside = PatentFactory(ipc=["G06F16/35"])
    excluded = PatentFactory(ipc=["G06F3/01"])
    exact_excluded = PatentFactory(ipc=["G06F16/27"])
    rescued = PatentFactory(ipc=["G06F3/048"])

    patents_classify(patent_ids=None)

    assert _industries(inside) == {"T-EX"}
    assert _industries(excluded) == set()
    assert _industries(exact_excluded) == set()
    assert _industries(rescued) == {"T-EX"}


def test_prefix_semantics_main_groups_and_subclass_only_codes():
    broad = IndustryFactory(code="T-BROAD")
    IpcScopeRuleFactory(industry=broad, pattern="G06")
    same = IndustryFactory(code="T-SAME")
    IpcScopeRuleFactory(industry=same, pattern="G06F")
    narrow = IndustryFactory(code="T-NARROW")
    IpcScopeRuleFactory(industry=narrow, pattern="G06F16/")
    main_group = IndustryFactory(code="T-H04L1")
    IpcScopeRuleFactory(industry=main_group, pattern="H04L1/")
    subclass_only = PatentFactory(ipc=["G06F"])
    deep = PatentFactory(ipc=["G06F16/35"])
    h04l12 = PatentFactory(ipc=["H04L12/10"])
    h04l1 = PatentFactory(ipc=["H04L1/00"])

    patents_classify(patent_ids=None)

    assert _industries(subclass_only) == {"T-BROAD", "T-SAME"}
    assert _industries(deep) == {"T-BROAD", "T-SAME", "T-NARROW"}
    assert _industries(h04l12) == set()
    assert _industries(h04l1) == {"T-H04L1"}


def test_reclassify_all_follows_a_changed_scope():
    industry = IndustryFactory(code="T-MOVE")
    zone = ZoneFactory(industry=industry)
    rule = IpcScopeRuleFactory(industry=industry, pattern="C22C14/")
    titanium = PatentFactory(ipc=["C22C14/00"])
    assert patents_reclassify_all() == {titanium.pk}
    assert list(titanium.zones.all()) == [zone]

    rule.pattern = "C22C26/"
    rule.save()
    assert patents_reclassify_all() == {titanium.pk}
    assert not titanium.zones.exists() and not titanium.industries.exists()


@pytest.mark.parametrize(
    "kind, filed, expiry",
    [
        (PatentKind.INVENTION, dt.date(2017, 7, 28), dt.date(2037, 7, 28)),
        (PatentKind.UTILITY_MODEL, dt.date(2017, 7, 28), dt.date(2027, 7, 28)),
        (PatentKind.DESIGN, dt.date(2021, 5, 31), dt.date(2031, 5, 31)),  # before 2021-06-01: 10 years
        (PatentKind.DESIGN, dt.date(2021, 6, 1), dt.date(2036, 6, 1)),  # from 2021-06-01: 15 years
        (PatentKind.INVENTION, dt.date(2000, 2, 29), dt.date(2020, 2, 29)),  # leap year to leap year
        (PatentKind.UTILITY_MODEL, dt.date(2016, 2, 29), dt.date(2026, 2, 28)),  # 29 Feb → 28 Feb
        (PatentKind.DESIGN, dt.date(2024, 2, 29), dt.date(2039, 2, 28)),
        (PatentKind.INVENTION, None, None),
    ],
)
def test_expiry(kind, filed, expiry):
    assert compute_expiry(kind, filed) == expiry


def test_expiry_is_computed_on_save_never_typed():
    patent = PatentFactory(kind=PatentKind.UTILITY_MODEL, application_date=dt.date(2016, 2, 29))
    patent.expiry_date = dt.date(2099, 1, 1)
    patent.save()
    patent.refresh_from_db()
    assert patent.expiry_date == dt.date(2026, 2, 28)


def test_subclass_only_code_needs_a_keyword_to_enter_a_narrower_scope():
    """Real records stop at the subclass (H04B); the Z6 scope says H04B10/. A keyword in the title
    (光纤) confirms the field; the same subclass without one stays out."""
    zone_directory_load(use_shared=False)
    fibre = PatentFactory(ipc=["H04B"], title="一种低损耗光纤放大装置")
    radio = PatentFactory(ipc=["H04B"], title="一种短波电台天线调谐电路")
    abstract_only = PatentFactory(ipc=["G02B"], title="一种连接器", abstract="本发明涉及光通信领域的光纤连接。")
    wrong_subclass = PatentFactory(ipc=["A01B"], title="光纤导向的耕作装置")

    patents_classify(patent_ids=None)

    assert set(fibre.zones.values_list("code", flat=True)) == {"Z6"}
    assert not radio.zones.exists()
    assert set(abstract_only.zones.values_list("code", flat=True)) == {"Z6"}
    assert not wrong_subclass.zones.exists()  # a keyword alone never classifies
