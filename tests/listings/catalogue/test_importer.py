"""The patent importer on the real shared files and on corrupted copies of them."""
from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from listings.catalogue.importers.patents import import_patents_file
from listings.catalogue.models import LegalStatus, Patent, PatentIpc, PatentKind
from tests.factories import application_number

from .helpers import database_fingerprint, read_report

pytestmark = pytest.mark.django_db

TITLE_FILE = "cn_patents_title_ipc.csv"
CPC_FILE = "cn_patents_abstract_cpc_sample.csv"


def _real_rows(shared_data, name, count=None):
    with open(shared_data / name, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1 : (count + 1) if count else None]


def _write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------------------------------
# The real files
# ---------------------------------------------------------------------------------------
def test_real_title_file_imports_every_row_with_ipc_levels(shared_data):
    summary = import_patents_file(path=shared_data / TITLE_FILE, progress=False)

    assert (summary.rows, summary.created, summary.updated, summary.unchanged, summary.bad) == (9740, 9740, 0, 0, 0)
    assert summary.report_path is None
    assert Patent.objects.count() == 9740
    # kind codes in the file: A 4,696 / U 4,520 / B 524
    assert Patent.objects.filter(kind=PatentKind.INVENTION).count() == 4696 + 524
    assert Patent.objects.filter(kind=PatentKind.UTILITY_MODEL).count() == 4520
    # no legal status in the file: grant publications default to in force, applications to pending
    assert Patent.objects.filter(legal_status=LegalStatus.IN_FORCE).count() == 4520 + 524
    assert Patent.objects.filter(legal_status=LegalStatus.PENDING).count() == 4696

    patent = Patent.objects.get(publication_number="CN114081026A")
    assert patent.title == "一种水电站高压输电线路驱鸟保护装置"
    assert patent.kind == PatentKind.INVENTION and patent.legal_status == LegalStatus.PENDING
    assert patent.source == TITLE_FILE and not patent.is_demo
    assert patent.main_ipc == "A01M"
    rows = list(patent.ipc_codes.order_by("position").values_list("code", "section", "ipc_class", "subclass",
                                                                   "main_group", "is_main"))
    assert rows == [
        ("A01M", "A", "A01", "A01M", "", True),
        ("G06F", "G", "G06", "G06F", "", False),
        ("H02G", "H", "H02", "H02G", "", False),
    ]
    assert list(patent.publications.values_list("number", "kind_code")) == [("CN114081026A", "A")]
    granted = Patent.objects.get(publication_number="CN111504366B")
    assert granted.legal_status == LegalStatus.IN_FORCE
    assert set(granted.ipc_codes.values_list("code", flat=True)) == {"G01D", "G01F"}


def test_importing_the_same_file_twice_changes_nothing(shared_data):
    first = import_patents_file(path=shared_data / TITLE_FILE, progress=False)
    assert first.created == 9740
    before = database_fingerprint()

    second = import_patents_file(path=shared_data / TITLE_FILE, progress=False)

    assert (second.created, second.updated, second.unchanged, second.bad) == (0, 0, 9740, 0)
    assert second.changed_ids == []
    assert database_fingerprint() == before


def test_cpc_sample_keeps_the_ipc_valid_part_and_abstracts(shared_data):
    summary = import_patents_file(path=shared_data / CPC_FILE, progress=False)

    assert (summary.created, summary.bad) == (54, 0)
    patent = Patent.objects.get(publication_number="CN117151122A")
    assert patent.abstract.startswith("本发明涉及人工智能技术领域")
    assert list(patent.ipc_codes.order_by("position").values_list("code", flat=True))[:2] == [
        "G06F16/3329", "G06F16/35",
    ]
    # CPC's 2000-series indexing groups do not exist in IPC: without the scheme loaded they are cut to the subclass
    assert not PatentIpc.objects.filter(main_group__regex=r"^G06F2\d{3}/").exists()
    again = import_patents_file(path=shared_data / CPC_FILE, progress=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 54)


# ---------------------------------------------------------------------------------------
# Corrupted copies
# ---------------------------------------------------------------------------------------
def test_corrupted_copy_of_the_real_file_is_reported_and_writes_nothing(shared_data, tmp_path):
    header, rows = _real_rows(shared_data, TITLE_FILE, count=40)
    # The database already holds a valid part of the file; the corrupted copy must leave it as it was.
    import_patents_file(path=_write_csv(tmp_path / "good.csv", header, rows[:20]), progress=False)
    before = database_fingerprint()

    cols = {name: i for i, name in enumerate(header)}
    bad = [list(r) for r in rows]
    bad[2][cols["publication_number"]] = "CN11408X026A"  # malformed publication number → line 4
    bad[5][cols["ipc_subclasses"]] = "G06F|Q99Z"  # not an IPC code → line 7
    bad[8][cols["kind_code"]] = "Z"  # unknown kind code → line 10
    bad[11][cols["title"]] = ""  # empty title → line 13
    bad[14] = bad[14][:3]  # truncated row → line 16
    bad.append(list(rows[20]))  # duplicate of line 22 → line 42
    path = _write_csv(tmp_path / "corrupted.csv", header, bad)
    # bad encoding: replace the title of the 30th data row (line 31) with GBK bytes
    raw = path.read_bytes()
    title = rows[29][cols["title"]]
    raw = raw.replace(title.encode("utf-8"), title.encode("gbk"), 1)
    path.write_bytes(raw)

    summary = import_patents_file(path=path, progress=False)

    assert not summary.imported
    assert summary.report_path == tmp_path / "corrupted.csv.import-report.csv"
    report = read_report(summary.report_path)
    found = {(int(r["line"]), r["field"]) for r in report}
    assert found == {
        (4, "publication_number"),
        (7, "ipc_subclasses"),
        (10, "kind_code"),
        (13, "title"),
        (16, "(row)"),
        (31, "title"),
        (42, "publication_number"),
    }
    reasons = {int(r["line"]): r for r in report}
    assert "Q99Z" in reasons[7]["value"] and "IPC" in reasons[7]["reason"]
    assert "UTF-8" in reasons[31]["reason"] and "\\x" in reasons[31]["value"]
    assert "第 22 行" in reasons[42]["reason"]
    assert "列数" in reasons[16]["reason"]
    assert database_fingerprint() == before

    with pytest.raises(CommandError, match="--skip-bad-rows"):
        call_command("import_patents", str(path), "--no-progress")
    assert database_fingerprint() == before


def test_corrupted_full_column_file_names_each_field(tmp_path):
    header = ["application_number", "publication_number", "title", "ipc_codes", "application_date",
              "publication_date", "legal_status", "kind"]
    good_app = application_number(2019, "1", 1234)
    rows = [
        [good_app, "CN110000001A", "一种光纤放大器", "H04B10/25", "2019-03-01", "2020-09-01", "", ""],
        [good_app[:-1] + ("0" if good_app[-1] != "0" else "1"), "CN110000002A", "校验位错误", "H04B10/25",
         "2019-03-01", "", "", ""],
        [application_number(2019, "1", 1235), "CN110000003A", "日期错误", "H04B10/25", "2019-02-30", "", "", ""],
        [application_number(2019, "1", 1236), "CN110000004A", "状态错误", "H04B10/25", "2019-03-01", "", "sold", ""],
        [application_number(2019, "1", 1237), "CN110000005A", "类型矛盾", "H04B10/25", "2019-03-01", "", "",
         "design"],
        [application_number(2019, "1", 1238), "CN110000006A", "IPC 错误", "H04B 10/2X5", "2019-03-01", "", "", ""],
        [application_number(2019, "1", 1239), "CN110000007A", "公开早于申请", "H04B10/25", "2019-03-01",
         "2018-01-01", "", ""],
        [good_app, "CN110000008A", "同一申请号两次", "H04B10/25", "2019-03-01", "", "", ""],
    ]
    path = _write_csv(tmp_path / "full.csv", header, rows)
    before = database_fingerprint()

    summary = import_patents_file(path=path, progress=False)

    found = {(int(r["line"]), r["field"]) for r in read_report(summary.report_path)}
    assert found == {
        (3, "application_number"),
        (4, "application_date"),
        (5, "legal_status"),
        (6, "kind"),
        (7, "ipc_codes"),
        (8, "publication_date"),
        (9, "application_number"),
    }
    assert "校验位" in next(r for r in read_report(summary.report_path) if r["line"] == "3")["reason"]
    assert database_fingerprint() == before

    # --skip-bad-rows imports exactly the valid row
    summary = import_patents_file(path=path, skip_bad_rows=True, progress=False)
    assert (summary.created, summary.bad, summary.imported) == (1, 7, True)
    patent = Patent.objects.get()
    assert patent.application_number == good_app
    assert patent.expiry_date.isoformat() == "2039-03-01"


def test_nothing_valid_exits_non_zero(tmp_path):
    path = _write_csv(tmp_path / "bad.csv", ["publication_number", "title"], [["CN1", "x"], ["CN2", ""]])
    with pytest.raises(CommandError, match="没有有效行"):
        call_command("import_patents", str(path), "--skip-bad-rows", "--no-progress")
    assert Patent.objects.count() == 0
    assert len(read_report(tmp_path / "bad.csv.import-report.csv")) >= 2


def test_file_without_identity_column_is_refused(tmp_path):
    path = _write_csv(tmp_path / "noid.csv", ["title"], [["一种装置"]])
    with pytest.raises(CommandError, match="publication_number"):
        call_command("import_patents", str(path), "--no-progress")


# ---------------------------------------------------------------------------------------
# JSON Lines and the richer column set
# ---------------------------------------------------------------------------------------
def test_jsonl_full_record_upserts_by_application_number(tmp_path):
    app = application_number(2016, "1", 42)
    record = {
        "application_number": app,
        "publication_numbers": ["CN106000042A", "CN106000042B"],
        "title": "一种波分复用光模块",
        "abstract": "摘要",
        "applicants": ["武汉邮电科学研究院（集团）"],
        "inventors": "张伟|李娜",
        "ipc_codes": "H04B 10/25|H04J14/02",
        "application_date": "2016-02-29",
        "publication_date": "2016-08-31",
        "grant_date": "2018-05-04",
    }
    path = tmp_path / "patents.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n\n", encoding="utf-8")

    summary = import_patents_file(path=path, progress=False)

    assert (summary.created, summary.bad) == (1, 0)
    patent = Patent.objects.get(application_number=app)
    assert patent.publication_number == "CN106000042A"
    assert patent.legal_status == LegalStatus.IN_FORCE
    assert patent.applicants == ["武汉邮电科学研究院（集团）"] and patent.inventors == ["张伟", "李娜"]
    assert patent.expiry_date.isoformat() == "2036-02-29"
    assert sorted(patent.publications.values_list("number", flat=True)) == ["CN106000042A", "CN106000042B"]
    assert patent.main_ipc == "H04B10/25"

    # a later file with the same application number and a new title is an update, not a second patent
    record["title"] = "一种改进的波分复用光模块"
    record["legal_status"] = "未缴年费终止"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = import_patents_file(path=path, progress=False)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    patent.refresh_from_db()
    assert patent.title == "一种改进的波分复用光模块" and patent.legal_status == LegalStatus.LAPSED
    assert Patent.objects.count() == 1


def test_jsonl_bad_lines_are_reported(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"publication_number": "CN114081026A", "title": "ok", "ipc_codes": ["A01M"]}\n'
        b"not json\n"
        b'["a list"]\n'
        b'{"publication_number": "CN114081027A", "title": "\xff\xfe"}\n'
    )
    summary = import_patents_file(path=path, progress=False)
    assert not summary.imported and Patent.objects.count() == 0
    assert {(int(r["line"]), r["field"]) for r in read_report(summary.report_path)} == {
        (2, "(row)"), (3, "(row)"), (4, "title"),
    }


def test_publication_already_stored_under_another_application_is_a_conflict(tmp_path):
    first = _write_csv(tmp_path / "a.csv", ["application_number", "publication_number", "title"],
                       [[application_number(2019, "1", 7), "CN110000777A", "甲"]])
    import_patents_file(path=first, progress=False)
    before = database_fingerprint()
    second = _write_csv(tmp_path / "b.csv", ["application_number", "publication_number", "title"],
                        [[application_number(2019, "1", 8), "CN110000777A", "乙"]])
    summary = import_patents_file(path=second, progress=False)
    assert not summary.imported
    assert [(r["line"], r["field"]) for r in read_report(summary.report_path)] == [("2", "publication_number")]
    assert database_fingerprint() == before


def test_coarser_file_does_not_erase_finer_ipc_codes(tmp_path):
    header = ["publication_number", "title", "ipc_codes"]
    fine = _write_csv(tmp_path / "fine.csv", header, [["CN114000001A", "一种光模块", "H04B10/25|G02B6/42"]])
    import_patents_file(path=fine, progress=False)
    coarse = _write_csv(tmp_path / "coarse.csv", ["publication_number", "title", "ipc_subclasses"],
                        [["CN114000001A", "一种光模块", "H04B|G02B"]])
    summary = import_patents_file(path=coarse, progress=False)
    assert (summary.updated, summary.unchanged) == (0, 1)
    assert list(PatentIpc.objects.order_by("position").values_list("code", flat=True)) == ["H04B10/25", "G02B6/42"]
