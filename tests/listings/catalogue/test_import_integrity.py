"""Nothing half-imported (issue 8, items 1–3): conflicts and control characters are found in the checking pass,
the writing pass is all-or-nothing, a malformed CSV is never under-counted, and reports hold no live formulas."""
from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DataError, IntegrityError

from listings.catalogue.importers import patents as importer
from listings.catalogue.importers.patents import import_patents_file
from listings.catalogue.models import Patent
from tests.factories import application_number

from .helpers import database_fingerprint, read_report

pytestmark = pytest.mark.django_db

HEADER = ["application_number", "publication_number", "title", "abstract"]


def _row(serial: int, *, title: str | None = None, abstract: str = "") -> list[str]:
    return [application_number(2019, "1", serial), f"CN11{serial:07d}A", title or f"测试专利 {serial}", abstract]


def _write(path, rows, header=HEADER):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def two_stored_patents(tmp_path):
    """P1 with application number A; P2 known only by its publication number (no application number)."""
    _write(tmp_path / "first.csv", [_row(1)])
    assert import_patents_file(path=tmp_path / "first.csv", progress=False, index=False).imported
    _write(tmp_path / "second.csv", [["", "CN119999999A", "只有公开号的专利", ""]])
    assert import_patents_file(path=tmp_path / "second.csv", progress=False, index=False).imported
    return Patent.objects.get(application_number=application_number(2019, "1", 1)), Patent.objects.get(
        publication_number="CN119999999A"
    )


def test_a_row_naming_two_stored_patents_is_refused_before_anything_is_written(tmp_path, two_stored_patents):
    p1, p2 = two_stored_patents
    # 1,500 new rows, then one row with P1's application number and P2's publication number (line 1,502)
    rows = [_row(serial) for serial in range(100, 1600)]
    rows.append([p1.application_number, p2.publication_number, "冲突的行", ""])
    path = _write(tmp_path / "conflict.csv", rows)
    before = database_fingerprint()

    summary = import_patents_file(path=path, progress=False)

    assert not summary.imported and summary.write_failed == ""
    assert database_fingerprint() == before
    [problem] = read_report(summary.report_path)
    assert (problem["line"], problem["field"], problem["value"]) == ("1502", "publication_number", p2.publication_number)
    assert "另一件专利" in problem["reason"]

    summary = import_patents_file(path=path, progress=False, skip_bad_rows=True)
    assert (summary.created, summary.bad, summary.imported) == (1500, 1, True)
    assert Patent.objects.get(pk=p2.pk).application_number is None


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused_with_a_named_reason(tmp_path, char):
    path = _write(tmp_path / "control.csv", [_row(1), _row(2, abstract=f"摘要{char}正文"), _row(3)])

    summary = import_patents_file(path=path, progress=False)

    assert not summary.imported and Patent.objects.count() == 0
    [problem] = read_report(summary.report_path)
    assert (problem["line"], problem["field"]) == ("3", "abstract")
    assert f"U+{ord(char):04X}" in problem["reason"] and "控制字符" in problem["reason"]
    assert char not in problem["value"]


def test_tabs_and_line_breaks_in_text_are_ordinary(tmp_path):
    path = _write(tmp_path / "ok.csv", [_row(1, abstract="第一段\n第二段\r\n\t缩进")])
    assert import_patents_file(path=path, progress=False).created == 1


@pytest.mark.parametrize("error", [IntegrityError("duplicate key"), DataError("invalid byte sequence")])
def test_a_failure_in_the_writing_pass_rolls_back_the_whole_file_and_becomes_a_report(tmp_path, monkeypatch, error):
    path = _write(tmp_path / "five.csv", [_row(serial) for serial in range(1, 6)])
    real = importer.patents_upsert_batch
    calls = []

    def second_batch_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(importer, "patents_upsert_batch", second_batch_fails)
    before = database_fingerprint()

    summary = import_patents_file(path=path, progress=False, batch_size=2)

    assert len(calls) == 2
    assert database_fingerprint() == before  # the first batch of two is rolled back too
    assert not summary.imported and (summary.created, summary.changed_ids) == (0, [])
    assert type(error).__name__ in summary.write_failed
    assert "回滚" in read_report(summary.report_path)[0]["reason"]
    calls.clear()
    with pytest.raises(CommandError, match="数据库未改变"):
        call_command("import_patents", str(path), "--no-progress", "--batch-size", "2")


def test_a_file_that_changes_between_the_passes_is_not_written(tmp_path, monkeypatch):
    path = _write(tmp_path / "moving.csv", [_row(serial) for serial in range(1, 6)])
    real = importer.stored_conflicts

    def rewrite_then_check(identities):
        _write(path, [_row(serial) for serial in range(1, 6)] + [_row(99)])  # a row appears after pass 1
        return real(identities)

    monkeypatch.setattr(importer, "stored_conflicts", rewrite_then_check)

    summary = import_patents_file(path=path, progress=False)

    assert not summary.imported and Patent.objects.count() == 0
    assert "changed" in summary.write_failed


def test_skip_bad_rows_never_stops_silently_at_a_csv_parse_error(tmp_path):
    rows = [_row(serial) for serial in range(1, 30)]
    rows.insert(5, [application_number(2019, "1", 500), "CN110000500A", "超长", "x" * (csv.field_size_limit() + 10)])
    path = _write(tmp_path / "huge-cell.csv", rows)

    summary = import_patents_file(path=path, progress=False, skip_bad_rows=True)

    assert summary.unreadable_from == 7
    assert not summary.imported and Patent.objects.count() == 0
    assert "7" in summary.as_text() and "unreadable" in summary.as_text()
    with pytest.raises(CommandError, match="数据库未改变"):
        call_command("import_patents", str(path), "--skip-bad-rows", "--no-progress")
    assert Patent.objects.count() == 0


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_report_cells_are_never_live_formulas(tmp_path, payload):
    path = _write(tmp_path / "formula.csv", [_row(1), [application_number(2019, "1", 2), payload, "标题", ""]])

    summary = import_patents_file(path=path, progress=False)

    with open(summary.report_path, encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    shown = payload.split("|")[0].strip()  # the publication column is multi-valued and stripped
    assert "'" + shown in cells
