"""The zone directory transcribed from the seed, loaded idempotently."""
from __future__ import annotations

import pytest

from listings.catalogue.models import Industry, IpcScopeRule, Zone
from listings.catalogue.services.zone_directory import zone_directory_load
from marketplace.models import Organisation

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Zone.objects.values_list("code", "slug", "name_zh", "name_en", "industry__code")),
        list(IpcScopeRule.objects.order_by("pk").values_list("pk", "pattern", "match", "role", "rule_no")),
        list(Organisation.objects.order_by("pk").values_list("pk", "name", "updated_at")),
    )


def test_directory_counts_and_service_firms(shared_data):
    result = zone_directory_load(data_dir=shared_data)

    assert result.zones == 8 and Zone.objects.count() == 8
    assert list(Zone.objects.values_list("code", flat=True)) == [f"Z{i}" for i in range(1, 9)]
    assert Zone.objects.get(code="Z6").industry.name_zh == "光通信"
    assert Zone.objects.get(code="Z6").slug == "wuhan-east-lake"
    assert all(z.name_en for z in Zone.objects.all())
    assert Organisation.objects.filter(kind=Organisation.Kind.ASSOCIATION).count() == 5
    pilots = [o for o in Organisation.objects.all() if "国家专利运营试点企业" in o.pilot_programmes]
    assert len(pilots) == 35
    assert sum(1 for o in pilots if o.remark == "中央企业") == 12
    assert sum(1 for o in pilots if o.remark == "服务型") == 5
    firms = Organisation.objects.filter(kind=Organisation.Kind.SERVICE_AGENCY)
    assert firms.count() == 10
    assert all(f.services and f.description and f.contact for f in firms)
    exchange = Organisation.objects.get(name="天津滨海国际知识产权交易所有限公司")
    assert "知识产权交易" in exchange.services and exchange.remark == "服务型"
    # IPC scopes: the derived zone mapping and the 40 SEI-2021 industries with include/exclude groups
    assert IpcScopeRule.objects.filter(industry__code="Z6", pattern="H04B10/").exists()
    assert Industry.objects.filter(scheme=Industry.Scheme.SEI2021).count() == 40
    assert IpcScopeRule.objects.filter(industry__scheme=Industry.Scheme.SEI2021, role="exclude").exists()


def test_loading_twice_changes_nothing(shared_data):
    zone_directory_load(data_dir=shared_data)
    before = _snapshot()
    again = zone_directory_load(data_dir=shared_data)
    assert (again.rules_created, again.rules_deleted, again.rules_updated) == (0, 0, 0)
    assert (again.organisations_created, again.organisations_updated) == (0, 0)
    assert _snapshot() == before


def test_builtin_scope_without_shared_data():
    result = zone_directory_load(use_shared=False)
    assert "built-in" in result.zone_scope_source
    assert Zone.objects.count() == 8
    for zone in Zone.objects.select_related("industry"):
        assert zone.industry.scope_rules.exists(), zone.code
    assert IpcScopeRule.objects.filter(industry__code="Z6", pattern="G02B6/").exists()
    assert not Industry.objects.filter(scheme=Industry.Scheme.SEI2021).exists()
    assert Organisation.objects.filter(kind=Organisation.Kind.SERVICE_AGENCY).count() == 10
