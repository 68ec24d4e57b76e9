"""The second real source (cn_patents_kexintong_mit.csv): owners, application numbers, legal status, Locarno classes."""
from __future__ import annotations

import csv
from collections import Counter

import pytest

from listings.catalogue.identifiers import IdentifierError, parse_application_number
from listings.catalogue.importers.patents import import_patents_file
from listings.catalogue.models import LegalStatus, Patent, Patentee, PatentKind

from .helpers import database_fingerprint, read_report

pytestmark = pytest.mark.django_db

KEXINTONG = "cn_patents_kexintong_mit.csv"


@pytest.fixture
def kexintong(shared_data):
    path = shared_data / KEXINTONG
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_import_counts_report_and_idempotency(kexintong):
    first = import_patents_file(path=kexintong, skip_bad_rows=True, progress=False, index=False)
    rows = _rows(kexintong)
    assert first.rows == len(rows) == 3911
    report = read_report(first.report_path)
    bad = [r for r in report if not r["reason"].startswith("已处理")]
    notes = [r for r in report if r["reason"].startswith("已处理")]
    # the one grant number without a kind letter is the only bad row, reported with its field
    assert first.bad == 1 and [(r["field"], r["value"]) for r in bad] == [("publication_number", "CN100508019")]
    assert first.created == 3910 and first.updated == 0
    # handled quirks (the data README's 7 cells): 10 metadata parts in 4 cells, 3 （CN） suffixes; 1 bracket duplicate
    assert sum("metadata" in r["reason"] for r in notes) == 10
    assert len({r["line"] for r in notes if "metadata" in r["reason"]}) == 4
    assert sum("country suffix" in r["reason"] for r in notes) == 3
    assert sum("brackets" in r["reason"] for r in notes) == 1

    # every application number passes its check digit or is in the report
    bad_lines = {int(r["line"]) for r in bad}
    stored = set(Patent.objects.values_list("application_number", flat=True))
    for line, row in enumerate(rows, start=2):
        try:
            number = str(parse_application_number(row["application_number"]))
        except IdentifierError:
            assert line in bad_lines
            continue
        assert number in stored or line in bad_lines

    # counts by kind and status, and the original wording kept beside the mapped status
    assert dict(Counter(Patent.objects.values_list("kind", flat=True))) == {
        PatentKind.INVENTION: 2188, PatentKind.UTILITY_MODEL: 1048, PatentKind.DESIGN: 674,
    }
    by_text = Counter(Patent.objects.values_list("legal_status_text", "legal_status"))
    assert by_text[("授权", LegalStatus.IN_FORCE)] == 2604
    assert by_text[("专利权转移", LegalStatus.IN_FORCE)] == 489
    assert by_text[("未缴年费专利权终止", LegalStatus.LAPSED)] == 404
    assert by_text[("专利权有效期届满终止", LegalStatus.EXPIRED)] == 372
    assert by_text[("避免重复授权放弃专利权", LegalStatus.ABANDONED)] == 25
    assert by_text[("专利权全部无效", LegalStatus.INVALIDATED)] == 2
    # the filing year from the number, never a date; designs keep Locarno, not IPC
    assert not Patent.objects.filter(application_date__isnull=False).exists()
    assert not Patent.objects.filter(application_year__isnull=True).exists()
    design = Patent.objects.filter(kind=PatentKind.DESIGN).exclude(locarno_classes=[]).first()
    assert design is not None and not design.ipc_codes.exists()
    assert not Patent.objects.filter(kind=PatentKind.INVENTION).exclude(locarno_classes=[]).exists()

    before = database_fingerprint()
    second = import_patents_file(path=kexintong, skip_bad_rows=True, progress=False, index=False)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3910)
    assert database_fingerprint() == before


def test_cn101464896b_and_a_listed_company(kexintong, client):
    import_patents_file(path=kexintong, skip_bad_rows=True, progress=False, index=False)
    patent = Patent.objects.get(publication_number="CN101464896B")
    assert [link.patentee.name for link in patent.patentee_links.order_by("position")] == ["科大讯飞股份有限公司", "清华大学"]
    assert patent.display_application_number == "CN200910001164.5"
    assert patent.legal_status_text == "专利权转移" and patent.is_transfer_record
    assert patent.application_year == 2009 and patent.expiry_year == 2029 and patent.expiry_date is None
    assert patent.grant_date.isoformat() == "2010-08-11"
    assert [c.code for c in patent.ipc_codes.all()] == ["G06F17/30", "G10L15/00"]

    page = client.get(patent.get_absolute_url()).content.decode()
    for text in ("科大讯飞股份有限公司", "清华大学", "CN200910001164.5", "专利权转移", "仅知年份", "2009", "MIT"):
        assert text in page, text
    assert "cn_patents_kexintong_mit.csv" not in page.split('id="field-source"')[1].split("</dd>")[0]

    # one party for both bracket spellings; the listed company's patents appear under its name
    assert Patentee.objects.filter(name="科大讯飞（北京）有限公司").count() == 1
    assert not Patentee.objects.filter(name__contains="号牌").exists()
    xunfei = Patentee.objects.get(name="科大讯飞股份有限公司")
    assert xunfei.patents.count() >= 1900
    listed = client.get("/patents/", {"applicant": "科大讯飞股份有限公司"})
    assert listed.status_code == 200
    assert int(listed.context["page_obj"].paginator.count) == xunfei.patents.count()
    by_year = client.get("/patents/", {"applicant": "科大讯飞股份有限公司", "year_from": "2009", "year_to": "2009"})
    assert by_year.context["page_obj"].paginator.count == xunfei.patents.filter(application_year=2009).count() > 0


def test_a_record_already_present_is_merged_not_duplicated(kexintong, tmp_path):
    """The same grant number from a file without application number (the title file's form) is one patent."""
    earlier = tmp_path / "earlier.csv"
    with open(earlier, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["publication_number", "kind_code", "title", "ipc_subclasses"])
        writer.writerow(["CN101464896B", "B", "语音模糊检索方法及装置", "G06F|G10L"])
    import_patents_file(path=earlier, progress=False, index=False)
    summary = import_patents_file(path=kexintong, skip_bad_rows=True, progress=False, index=False)
    assert (summary.created, summary.updated) == (3909, 1)
    merged = Patent.objects.get(publication_number="CN101464896B")
    assert Patent.objects.count() == 3910
    assert merged.sources == ["earlier.csv", KEXINTONG] and merged.application_number == "200910001164.5"
    assert merged.legal_status_text == "专利权转移" and [c.code for c in merged.ipc_codes.all()] == ["G06F17/30", "G10L15/00"]
    # the earlier file again: its subclasses do not erase the finer codes, its assumed status does not overwrite
    again = import_patents_file(path=earlier, progress=False, index=False)
    assert (again.updated, again.unchanged) == (0, 1)
