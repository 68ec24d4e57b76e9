"""Importing patents from CSV or JSON Lines: validate everything first, then write in batches.

Why two passes over the file: the database must never hold half a file. Pass 1 reads the file
streaming and checks every row (identifiers, IPC codes, dates, kinds, statuses, encoding, column
count, duplicates within the file and conflicts with the database), keeping only identities and
problems in memory. Only then does pass 2 read the file again and write the valid rows, a batch
per transaction. By default one bad row stops the whole file (all-or-nothing, the issue's
"a corrupted copy … leaves the database as it was"); ``skip_bad_rows=True`` imports the good rows.
Bad rows always go to ``<input>.import-report.csv`` (line, field, value, reason).

The columns are those of the real files in ``../shared/data`` plus a documented full set; a known
file's source profile (``importers/sources.py``) renames its columns and prepares its cells (the
kexintong file's assignees, IPC and Locarno classes). See docs/importing.md.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from listings.catalogue.identifiers import (
    PUBLICATION_KIND_CODES,
    IdentifierError,
    parse_application_number,
    parse_ipc,
    parse_publication_number,
)
from listings.catalogue.importers.sources import LOCARNO_RE, SourceProfile, profile_for
from listings.catalogue.models import IpcEntry, LegalStatus, Patent, PatentKind, PatentPublication, compute_expiry
from listings.catalogue.services.classification import ScopeMatcher, patents_classify
from listings.catalogue.services.patents import PatentRecord, Publication, patents_upsert_batch

logger = logging.getLogger(__name__)

ROW = "(row)"  # the "field" of problems that concern the whole row
BATCH_SIZE = 1000
MULTI_SEPARATOR = "|"

#: accepted column names → canonical name (the real files' names are canonical or listed here)
COLUMN_ALIASES = {
    "application_number": "application_number",
    "app_number": "application_number",
    "申请号": "application_number",
    "publication_number": "publication_number",
    "公开号": "publication_number",
    "公开（公告）号": "publication_number",
    "publication_numbers": "publication_numbers",
    "kind_code": "kind_code",
    "kind": "kind",
    "专利类型": "kind",
    "title": "title",
    "名称": "title",
    "abstract": "abstract",
    "摘要": "abstract",
    "claims": "claims",
    "权利要求": "claims",
    "applicants": "applicants",
    "申请人": "applicants",
    "inventors": "inventors",
    "发明人": "inventors",
    "ipc_codes": "ipc_codes",
    "ipc": "ipc_codes",
    "cpc_codes": "cpc_codes",
    "ipc_subclasses": "ipc_subclasses",
    "application_date": "application_date",
    "申请日": "application_date",
    "publication_date": "publication_date",
    "公开日": "publication_date",
    "grant_date": "grant_date",
    "授权日": "grant_date",
    "legal_status": "legal_status",
    "法律状态": "legal_status",
}
IDENTITY_COLUMNS = {"application_number", "publication_number", "publication_numbers"}
IPC_COLUMNS = ("ipc_codes", "cpc_codes", "ipc_subclasses")  # most specific first

KIND_NAMES = {
    **{k.value: k.value for k in PatentKind},
    **{str(k.label): k.value for k in PatentKind},
    "发明专利": PatentKind.INVENTION.value,
    "授权发明": PatentKind.INVENTION.value,
    "发明授权": PatentKind.INVENTION.value,
    "实用新型专利": PatentKind.UTILITY_MODEL.value,
    "外观设计专利": PatentKind.DESIGN.value,
    "utility model": PatentKind.UTILITY_MODEL.value,
}
STATUS_NAMES = {
    **{s.value: s.value for s in LegalStatus},
    **{str(s.label): s.value for s in LegalStatus},
    "授权": LegalStatus.IN_FORCE.value,
    "实审": LegalStatus.PENDING.value,
    "公开": LegalStatus.PENDING.value,
    "权利终止": LegalStatus.LAPSED.value,
    "撤回": LegalStatus.WITHDRAWN.value,
    "驳回": LegalStatus.REJECTED.value,
    # CNIPA's wording of the latest legal event (DOMAIN §3); the wording itself is kept in legal_status_text
    "专利权转移": LegalStatus.IN_FORCE.value,
    "申请权转移": LegalStatus.IN_FORCE.value,
    "专利权期限的补偿": LegalStatus.IN_FORCE.value,
    "变更": LegalStatus.IN_FORCE.value,
    "质押合同登记生效": LegalStatus.IN_FORCE.value,
    "未缴年费专利权终止": LegalStatus.LAPSED.value,
    "专利权有效期届满终止": LegalStatus.EXPIRED.value,
    "避免重复授权放弃专利权": LegalStatus.ABANDONED.value,
    "专利权全部无效": LegalStatus.INVALIDATED.value,
}
_DATE_RE = re.compile(r"^(\d{4})[-./]?(\d{1,2})[-./]?(\d{1,2})$")
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
#: control characters no text field may hold (tab, line feed and carriage return are ordinary in abstracts):
#: Postgres refuses NUL in text, SQLite would store it, and none of them is ever meant in a patent record
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: a report cell starting with one of these is a formula to a spreadsheet (CSV injection): it is escaped
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TITLE_MAX = Patent._meta.get_field("title").max_length


class ImportFileError(ValueError):
    """The file as a whole cannot be read (missing, no header, no identity column)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    value: str
    reason: str


@dataclass
class ImportSummary:
    path: Path
    source: str
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)  # quirks handled by the source profile
    report_path: Path | None = None
    imported: bool = False
    changed_ids: list[int] = field(default_factory=list)
    unreadable_from: int | None = None  # the line where reading stopped (malformed CSV): nothing is imported
    write_failed: str = ""  # why the writing pass was rolled back (nothing of the file is in the database)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})

    @property
    def bad(self) -> int:
        return len(self.bad_lines)

    @property
    def ok(self) -> bool:
        """Whether the run succeeded: something valid was found and nothing valid was left out."""
        return self.valid > 0 and self.imported

    def as_text(self) -> str:
        verdict = "已导入 / imported" if self.imported else "未写入数据库 / nothing written"
        text = (
            f"{self.path.name}: 共 {self.rows} 行 / rows; 新增 created {self.created}; 更新 updated {self.updated}; "
            f"未变 unchanged {self.unchanged}; 错误行 bad {self.bad} — {verdict}"
        )
        if self.unreadable_from is not None:
            text += (f"\n第 {self.unreadable_from} 行起无法读取，之后的行未计数 / unreadable from line "
                     f"{self.unreadable_from}: later rows were not read or counted")
        if self.write_failed:
            text += f"\n写入失败，已全部回滚 / the write failed and was rolled back: {self.write_failed}"
        if self.notes:
            text += f"\n已处理的数据问题 / quirks handled: {len(self.notes)}（{len({n.line for n in self.notes})} 行 / rows）"
        if self.report_path:
            text += f"\n错误报告 / report: {self.report_path}"
        return text


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------
@dataclass
class RawRow:
    line: int
    values: dict[str, object]
    problem: RowProblem | None = None
    fatal: bool = False  # the file cannot be read past this row


def _undecodable(text: str) -> str:
    """Show non-UTF-8 bytes (kept as surrogates while reading) as ``\\xff`` in messages and reports."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _canonical_header(names: list[str], profile: SourceProfile | None = None) -> list[str | None]:
    """Canonical column names: the profile's mapping first ("" means deliberately ignored), then the aliases."""
    canonical: list[str | None] = []
    for name in names:
        bare = name.strip().lstrip("\ufeff")
        if profile is not None and bare in profile.columns:
            canonical.append(profile.columns[bare] or None)
            continue
        canonical.append(COLUMN_ALIASES.get(bare.lower()) or COLUMN_ALIASES.get(bare))
    return canonical


def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in {".jsonl", ".ndjson", ".json"}


def iter_csv_rows(path: Path, profile: SourceProfile | None = None) -> tuple[list[str | None], Iterator[RawRow]]:
    """The canonical header and the data rows; undecodable bytes stay as surrogates to be reported."""
    handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(handle)
    try:
        header_raw = next(reader)
    except StopIteration:
        handle.close()
        raise ImportFileError(f"文件为空 / file is empty: {path}") from None
    header = _canonical_header(header_raw, profile)
    if not any(h in IDENTITY_COLUMNS for h in header):
        handle.close()
        raise ImportFileError(
            f"缺少公开号或申请号列 / no publication_number or application_number column in {path.name}; "
            f"header: {', '.join(_undecodable(h) for h in header_raw)}"
        )
    if "title" not in header:
        handle.close()
        raise ImportFileError(f"缺少 title 列 / no title column in {path.name}")

    def rows() -> Iterator[RawRow]:
        last = reader.line_num
        with handle:
            try:
                for cells in reader:
                    line = last + 1
                    last = reader.line_num
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    if len(cells) != len(header):
                        yield RawRow(line, {}, RowProblem(
                            line, ROW, _undecodable(",".join(cells))[:200],
                            f"列数 {len(cells)}，表头为 {len(header)} 列（行被截断或多出分隔符）/ "
                            f"{len(cells)} columns, header has {len(header)} (truncated or extra separators)",
                        ))
                        continue
                    yield RawRow(line, {h: v for h, v in zip(header, cells) if h})
            except csv.Error as exc:
                # the csv module cannot resume after its own error (a quoted cell may span lines): the file is
                # unreadable from here on, so the whole file is refused, even with --skip-bad-rows
                yield RawRow(last + 1, {}, RowProblem(
                    last + 1, ROW, "",
                    f"CSV 格式错误，此行之后无法继续读取，整个文件未导入 / malformed CSV, the rest of the file cannot be "
                    f"read, so none of it is imported: {exc}",
                ), fatal=True)

    return header, rows()


def iter_jsonl_rows(path: Path) -> Iterator[RawRow]:
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", "surrogateescape").strip()
            if line_no == 1:
                text = text.lstrip("\ufeff")
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RawRow(line_no, {}, RowProblem(
                    line_no, ROW, _undecodable(text)[:200], f"JSON 无法解析 / invalid JSON: {exc.msg} at {exc.pos}"
                ))
                continue
            if not isinstance(obj, dict):
                yield RawRow(line_no, {}, RowProblem(
                    line_no, ROW, _undecodable(text)[:200], "每行应为一个 JSON 对象 / each line must be a JSON object"
                ))
                continue
            values = {}
            for key, value in obj.items():
                name = COLUMN_ALIASES.get(str(key).strip().lower()) or COLUMN_ALIASES.get(str(key).strip())
                if name:
                    values[name] = value
            yield RawRow(line_no, values)


# ---------------------------------------------------------------------------------------
# Validation of one row
# ---------------------------------------------------------------------------------------
def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return MULTI_SEPARATOR.join(_text(v) for v in value)
    return str(value).strip()


def _multi(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(MULTI_SEPARATOR)
    return [str(item).strip() for item in items if str(item).strip()]


def _parse_date(value: str) -> dt.date:
    match = _DATE_RE.match(value)
    if not match:
        raise ValueError(f"日期格式错误 {value!r}，应为 YYYY-MM-DD / malformed date {value!r}, expected YYYY-MM-DD")
    try:
        day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise ValueError(f"不存在的日期 {value!r} / no such date {value!r} ({exc})") from None
    if not 1985 <= day.year <= 2100:
        raise ValueError(f"日期年份不合理 {value!r}（中国专利制度始于 1985 年）/ implausible year in {value!r}")
    return day


class RowValidator:
    """Turns one raw row into a ``PatentRecord`` or the list of everything wrong with it."""

    def __init__(
        self, columns: set[str], known_ipc: set[str] | None = None, today: dt.date | None = None,
        profile: SourceProfile | None = None,
    ):
        self.columns = columns
        self.profile = profile
        self.known_ipc = known_ipc
        self.today = today or dt.date.today()

    def _cpc_to_ipc(self, code) -> str | None:
        """The IPC-valid part of a CPC code: the code itself, else its main group, else its subclass.

        CPC refines IPC; its 2000-series indexing groups (G06F2203/04806) and section Y do not exist
        in IPC. With the IPC scheme loaded we keep the deepest level the scheme knows; without it,
        2000-series groups are cut to the subclass.
        """
        levels = [code.at("subgroup"), code.at("main_group"), code.at("subclass"), code.at("class"), code.section]
        levels = [c for c in levels if c]
        if self.known_ipc:
            return next((c for c in levels if c in self.known_ipc), None)
        if code.group is not None and int(code.group) >= 2000:
            return code.at("subclass")
        return str(code)

    def validate(
        self, row: RawRow, notes: list[RowProblem] | None = None
    ) -> tuple[PatentRecord | None, list[RowProblem]]:
        """The record or the problems; quirks the source profile handled are appended to ``notes``."""
        line, values = row.line, row.values
        problems: list[RowProblem] = []

        def bad(field_name: str, value, reason: str) -> None:
            problems.append(RowProblem(line, field_name, _undecodable(_text(value))[:200], reason))

        for name, value in values.items():
            text = _text(value)
            if _SURROGATE_RE.search(text):
                bad(name, text, "含非 UTF-8 字节（文件编码错误）/ contains bytes that are not UTF-8 (bad encoding)")
            elif (control := _CONTROL_RE.search(text)) is not None:
                bad(name, _CONTROL_RE.sub("\uFFFD", text),
                    f"含控制字符 U+{ord(control.group()):04X}（位置 {control.start() + 1}）/ "
                    f"contains the control character U+{ord(control.group()):04X} at position {control.start() + 1}")
        if problems:
            return None, problems
        if self.profile is not None and self.profile.prepare is not None:
            values, handled = self.profile.prepare(values)
            if notes is not None:
                notes.extend(
                    RowProblem(line, n.field, n.value[:200], f"已处理 / handled: {n.reason}") for n in handled
                )

        # identity ----------------------------------------------------------------------
        app_number = None
        app_kind = None
        raw_app = _text(values.get("application_number"))
        if raw_app:
            try:
                parsed = parse_application_number(raw_app)
                app_number, app_kind = str(parsed), parsed.kind
            except IdentifierError as exc:
                bad("application_number", raw_app, str(exc))

        pub_raw: list[tuple[str, str]] = []  # (column, value)
        for column in ("publication_number", "publication_numbers"):
            pub_raw += [(column, v) for v in _multi(values.get(column))]
        publications: list = []
        for column, raw in pub_raw:
            try:
                pub = parse_publication_number(raw)
            except IdentifierError as exc:
                bad(column, raw, str(exc))
                continue
            if pub.number not in [p.number for p in publications]:
                publications.append(pub)
        if not pub_raw:
            bad(
                "publication_number", "",
                "公开（公告）号为空：未公开的申请不是公开信息，不能入库 / publication number is empty: an "
                "unpublished application is not public and cannot be listed",
            )

        kind_code = _text(values.get("kind_code")).upper()
        if kind_code:
            if kind_code not in PUBLICATION_KIND_CODES:
                bad("kind_code", kind_code,
                    f"未知文献种类代码 {kind_code!r}，应为 A/B/C/U/Y/S/D / unknown kind code {kind_code!r}")
            elif publications and "publication_number" in values and publications[0].kind_code != kind_code:
                bad("kind_code", kind_code,
                    f"与公开号 {publications[0].number} 的种类代码 {publications[0].kind_code} 不一致 / "
                    f"does not match publication number {publications[0].number}")

        # kind --------------------------------------------------------------------------
        kinds: dict[str, str] = {}
        if app_kind:
            kinds["application_number"] = app_kind
        for pub in publications:
            kinds.setdefault("publication_number", pub.patent_kind)
            if pub.patent_kind != kinds["publication_number"]:
                bad("publication_numbers", pub.number, "各公开号的专利类型不一致 / publications of different kinds")
        raw_kind = _text(values.get("kind"))
        if raw_kind:
            named = KIND_NAMES.get(raw_kind) or KIND_NAMES.get(raw_kind.lower())
            if named is None:
                bad("kind", raw_kind,
                    f"未知专利类型 {raw_kind!r}，应为 invention/utility_model/design（发明/实用新型/外观设计）/ "
                    f"unknown kind {raw_kind!r}")
            else:
                kinds["kind"] = named
        if len(set(kinds.values())) > 1:
            bad("kind", raw_kind or "",
                "专利类型与申请号类型位或公开号种类代码矛盾 / kind contradicts the application number's kind digit "
                f"or the publication kind code: {kinds}")
        kind = next(iter(kinds.values()), None)

        # text --------------------------------------------------------------------------
        title = _text(values.get("title"))
        if not title:
            bad("title", "", "名称为空 / title is empty")
        elif TITLE_MAX is not None and len(title) > TITLE_MAX:
            bad("title", title, f"名称超过 {TITLE_MAX} 字 / title longer than {TITLE_MAX} characters")

        # dates -------------------------------------------------------------------------
        dates: dict[str, dt.date | None] = {}
        for name in ("application_date", "publication_date", "grant_date"):
            raw = _text(values.get(name))
            dates[name] = None
            if raw:
                try:
                    dates[name] = _parse_date(raw)
                except ValueError as exc:
                    bad(name, raw, str(exc))
        filed = dates["application_date"]
        for name in ("publication_date", "grant_date"):
            later = dates[name]
            if filed and later and later < filed:
                bad(name, later.isoformat(), f"早于申请日 {filed} / earlier than the filing date {filed}")
        if filed and app_number and len(app_number) == 14 and int(app_number[:4]) != filed.year:
            bad("application_date", filed.isoformat(),
                f"申请日年份与申请号 {app_number} 的年份不一致 / filing year differs from the application number's year")

        # IPC ---------------------------------------------------------------------------
        ipc_codes: list[str] = []
        ipc_column = next((c for c in IPC_COLUMNS if _multi(values.get(c))), None)
        if ipc_column:
            for raw in _multi(values.get(ipc_column)):
                try:
                    code = parse_ipc(raw)
                except IdentifierError as exc:
                    if ipc_column == "cpc_codes" and raw.strip().upper().startswith("Y"):
                        continue  # CPC section Y (tagging) has no IPC counterpart
                    bad(ipc_column, raw, str(exc))
                    continue
                normal = self._cpc_to_ipc(code) if ipc_column == "cpc_codes" else str(code)
                if normal and normal not in ipc_codes:
                    ipc_codes.append(normal)

        # Locarno classes (designs) ----------------------------------------------------------
        locarno: list[dict[str, Any]] = list(values.get("locarno_classes") or [])  # type: ignore[call-overload]  # row values are untyped
        for entry in locarno:
            shown = f"{entry['code']}({entry['edition']})" if entry.get("edition") else entry["code"]
            code_match = LOCARNO_RE.match(entry["code"])
            klass = int(code_match.group(1)) if code_match else 0
            if not 1 <= klass <= 32:
                bad("ipc_codes", shown, f"洛迦诺分类的大类应为 01–32：{shown} / Locarno class must be 01–32")
            if entry.get("edition") is not None and not 1 <= entry["edition"] <= 15:
                bad("ipc_codes", shown, f"洛迦诺分类版本不合理：{shown} / implausible Locarno edition")
        if locarno and kind is not None and kind != PatentKind.DESIGN:
            bad("ipc_codes", "; ".join(e["code"] for e in locarno),
                "洛迦诺分类号只用于外观设计，本行不是外观设计 / Locarno classes belong to designs, this row is not a design")

        # status ------------------------------------------------------------------------
        granted_pub = next((p for p in publications if p.is_grant), None)
        raw_status = _text(values.get("legal_status"))
        status = None
        status_text = ""
        if raw_status:
            status = STATUS_NAMES.get(raw_status) or STATUS_NAMES.get(raw_status.lower())
            if status is None:
                bad("legal_status", raw_status,
                    f"未知法律状态 {raw_status!r}，应为 {', '.join(LegalStatus.values)} 或 CNIPA 法律状态用语 / "
                    "unknown legal status")
            elif raw_status not in LegalStatus.values:
                status_text = raw_status

        if problems or kind is None:
            return None, problems

        grant_date = dates["grant_date"]
        if grant_date is None and granted_pub is not None and publications[0] is granted_pub:
            grant_date = dates["publication_date"]
        if status is None:
            # Default when the source has no legal status (the real files): a grant publication means the
            # right was granted, so in force unless its term is over; an A publication is pending.
            if granted_pub is not None or grant_date is not None:
                expiry = compute_expiry(kind, filed)
                status = LegalStatus.EXPIRED if expiry and expiry <= self.today else LegalStatus.IN_FORCE
            else:
                status = LegalStatus.PENDING

        pub_objects = tuple(
            Publication(p.number, p.kind_code, dates["publication_date"] if i == 0 else None)
            for i, p in enumerate(publications)
        )
        # A status the file does not state is an assumption: it never overwrites one a source stated.
        supplied = {"kind", "title"}
        if "legal_status" in self.columns:
            supplied |= {"legal_status", "legal_status_text"}
        if "locarno_classes" in values:
            supplied.add("locarno_classes")
        supplied |= {n for n in ("abstract", "claims", "applicants", "inventors") if n in self.columns}
        supplied |= {n for n in ("application_date", "publication_date") if n in self.columns}
        if "grant_date" in self.columns or grant_date is not None:
            supplied.add("grant_date")
        if any(c in self.columns for c in IPC_COLUMNS):
            supplied.add("ipc_codes")
        record = PatentRecord(
            publications=pub_objects,
            kind=kind,
            title=title,
            application_number=app_number,
            abstract=_text(values.get("abstract")),
            claims=_text(values.get("claims")),
            applicants=tuple(_multi(values.get("applicants"))),
            inventors=tuple(_multi(values.get("inventors"))),
            ipc_codes=tuple(ipc_codes),
            ipc_coarse=bool(ipc_codes) and all(parse_ipc(c).group is None for c in ipc_codes),
            application_date=filed,
            publication_date=dates["publication_date"],
            grant_date=grant_date,
            legal_status=str(status),
            legal_status_text=status_text,
            locarno_classes=tuple(locarno),
            supplied=frozenset(supplied),
        )
        return record, []


# ---------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------
def _progress(iterable, *, enabled: bool, **kwargs):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, file=sys.stderr, dynamic_ncols=True, **kwargs)


def report_path_for(path: Path) -> Path:
    """``<input>.import-report.csv`` beside the input, or under VAR_DIR when that folder is read-only or is
    the shared data folder (read in place, never written: other checkouts read it too)."""
    beside = path.with_name(path.name + ".import-report.csv")
    shared = Path(settings.SHARED_DATA_DIR).resolve()
    in_shared = path.resolve().parent == shared or shared in path.resolve().parents
    if os.access(path.parent, os.W_OK) and not in_shared:
        return beside
    folder = Path(settings.VAR_DIR) / "import-reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / beside.name


def write_report(path: Path, problems: list[RowProblem], notes: Sequence[RowProblem] = ()) -> Path | None:
    """Bad rows (their reason) and handled quirks (reason starting "已处理 / handled") in one CSV."""
    target = report_path_for(path)
    problems = list(problems) + list(notes)
    if not problems:
        if target.exists():
            target.unlink()  # a stale report from an earlier run would mislead
        return None
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "value", "reason"])
        for problem in sorted(problems, key=lambda p: (p.line, p.field)):
            writer.writerow([problem.line, report_cell(problem.field), report_cell(problem.value),
                             report_cell(problem.reason)])
    return target


def report_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with ``= + - @``, tab or CR gets a leading apostrophe
    (OWASP's advice against CSV injection), so ``=cmd|' /C calc'!A0`` is never a live formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _open_rows(path: Path, profile: SourceProfile | None = None) -> tuple[set[str], Iterator[RawRow]]:
    if _is_jsonl(path):
        return set(), iter_jsonl_rows(path)
    header, rows = iter_csv_rows(path, profile)
    return {h for h in header if h}, rows


def _columns_of(path: Path, profile: SourceProfile | None = None) -> set[str]:
    """CSV: the header. JSON Lines: every key that appears (a key may be absent on some lines)."""
    if not _is_jsonl(path):
        return _open_rows(path, profile)[0]
    seen: set[str] = set()
    for row in iter_jsonl_rows(path):
        seen |= set(row.values)
    return seen


def import_patents_file(
    *,
    path: Path | str,
    skip_bad_rows: bool = False,
    source: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: bool = True,
    index: bool = True,
    profile_name: str | None = None,
) -> ImportSummary:
    """Validate the whole file, then (if allowed) upsert its valid rows, classify and re-index them.

    ``index=False`` leaves the search index alone: for a caller that rebuilds it whole right after
    (the first-run bootstrap), queuing a task per batch would only repeat that work.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"文件不存在 / no such file: {path}")
    source = source or path.name
    profile = profile_for(profile_name or path.name)
    if profile_name and profile is None:
        raise ImportFileError(f"未知数据源配置 / unknown source profile: {profile_name}")
    summary = ImportSummary(path=path, source=source)
    columns = _columns_of(path, profile)
    known_ipc = None
    if "cpc_codes" in columns and IpcEntry.objects.exists():
        known_ipc = set(IpcEntry.objects.values_list("code", flat=True))
    validator = RowValidator(columns, known_ipc=known_ipc, profile=profile)

    # Pass 1: validate every row; remember identities to find duplicates and database conflicts.
    digest_before = file_digest(path)
    seen_identity: dict[str, int] = {}
    seen_publication: dict[str, int] = {}
    identities: dict[int, tuple[str | None, tuple[str, ...]]] = {}  # line → (application number, publications)
    bad_lines: set[int] = set()
    _, rows = _open_rows(path, profile)
    for row in _progress(rows, enabled=progress, desc=f"校验 validate {path.name}", unit=" 行"):
        summary.rows += 1
        if row.problem:
            summary.problems.append(row.problem)
            bad_lines.add(row.line)
            if row.fatal:
                summary.unreadable_from = row.line
                break
            continue
        record, problems = validator.validate(row, summary.notes)
        if record is not None:
            field_name = "application_number" if record.application_number else "publication_number"
            first = seen_identity.get(record.identity)
            if first is None:
                first = next((seen_publication[p.number] for p in record.publications if p.number in seen_publication),
                             None)
                field_name = "publication_number" if first is not None else field_name
            if first is not None:
                problems = [RowProblem(
                    row.line, field_name, record.identity,
                    f"与第 {first} 行重复（同一专利在文件中出现两次）/ duplicate of line {first} (same patent twice)",
                )]
            else:
                seen_identity[record.identity] = row.line
                for pub in record.publications:
                    seen_publication[pub.number] = row.line
                identities[row.line] = (record.application_number, tuple(p.number for p in record.publications))
        if problems:
            summary.problems.extend(problems)
            bad_lines.add(row.line)

    for problem in stored_conflicts(identities):
        if problem.line not in bad_lines:
            summary.problems.append(problem)
            bad_lines.add(problem.line)

    summary.valid = summary.rows - len(bad_lines)
    summary.notes = [n for n in summary.notes if n.line not in bad_lines]
    summary.report_path = write_report(path, summary.problems, summary.notes)
    if summary.valid == 0 or summary.unreadable_from is not None or (bad_lines and not skip_bad_rows):
        return summary

    # Pass 2: write the valid rows, all in one transaction (bulk statements per batch): any failure, from the
    # database or from a file that changed after pass 1, rolls all of it back and becomes the report.
    try:
        result = _write_pass(path, profile, validator, bad_lines, summary, source=source, batch_size=batch_size,
                             progress=progress, index=index, digest_before=digest_before)
    except (DatabaseError, ValueError) as exc:  # ValueError: ImportFileError, PatentConflict
        line = getattr(exc, "line", 0)
        reason = f"写入失败，整个文件已回滚 / the write failed and was rolled back: {type(exc).__name__}: {exc}"
        summary.problems.append(RowProblem(line, ROW, "", reason[:500]))
        summary.write_failed = f"{type(exc).__name__}: {exc}"[:500]
        summary.created = summary.updated = summary.unchanged = 0
        summary.changed_ids = []
        summary.report_path = write_report(path, summary.problems, summary.notes)
        logger.warning("patent import %s rolled back: %s", path.name, summary.write_failed)
        return summary
    summary.created, summary.updated, summary.unchanged, summary.changed_ids = result
    summary.imported = True
    logger.debug("patent import %s", summary.as_text())
    return summary


class FileChanged(ImportFileError):
    """The file differs from the one checked in pass 1."""

    def __init__(self, message: str, *, line: int = 0):
        super().__init__(message)
        self.line = line


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes: pass 2 writes only what pass 1 checked."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_pass(
    path: Path, profile: SourceProfile | None, validator: RowValidator, bad_lines: set[int], summary: ImportSummary,
    *, source: str, batch_size: int, progress: bool, index: bool, digest_before: str,
) -> tuple[int, int, int, list[int]]:
    """Upsert the valid rows in one transaction; the counts and changed ids, or an exception and nothing written."""
    from listings.catalogue.signals import announce_patents_changed

    matcher = ScopeMatcher()
    counts = [0, 0, 0]
    changed_ids: list[int] = []
    batch: list[PatentRecord] = []

    def flush() -> None:
        result = patents_upsert_batch(records=batch, source=source)
        moved = patents_classify(patent_ids=result.changed, matcher=matcher) if result.changed else set()
        changed = sorted(set(result.changed) | moved)
        if index:
            announce_patents_changed(changed)  # queued on commit: nothing is indexed if this rolls back
        counts[0] += len(result.created)
        counts[1] += len(result.updated)
        counts[2] += len(result.unchanged)
        changed_ids.extend(changed)
        batch.clear()

    written = 0
    with transaction.atomic():
        if file_digest(path) != digest_before:
            raise FileChanged("文件在校验之后被修改 / the file changed after it was checked")
        _, rows = _open_rows(path, profile)
        valid_rows = (row for row in rows if row.line not in bad_lines)
        for row in _progress(valid_rows, enabled=progress, total=summary.valid, desc=f"导入 import {path.name}",
                             unit=" 行"):
            record, problems = validator.validate(row) if row.problem is None else (None, [row.problem])
            if record is None:
                raise FileChanged(
                    f"第 {row.line} 行在两次读取之间发生变化 / line {row.line} changed while importing", line=row.line
                )
            batch.append(record)
            written += 1
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        if written != summary.valid or file_digest(path) != digest_before:
            raise FileChanged(
                f"文件在导入过程中被修改（校验 {summary.valid} 行，读到 {written} 行）/ the file changed while importing "
                f"({summary.valid} rows checked, {written} read)"
            )
    return counts[0], counts[1], counts[2], changed_ids


def stored_conflicts(identities: dict[int, tuple[str | None, tuple[str, ...]]]) -> list[RowProblem]:
    """Rows whose identifiers point at two different stored patents, or at a stored patent of another
    application number. Checked in pass 1, so that the writing pass never meets a unique-constraint error.

    A row resolves to the patent of its application number, else to that of its publications; every stored
    patent its identifiers name must be that one patent.
    """
    app_numbers = sorted({app for app, _pubs in identities.values() if app})
    pub_numbers = sorted({pub for _app, pubs in identities.values() for pub in pubs})
    by_app: dict[str, int] = {}
    by_pub: dict[str, tuple[int, str | None]] = {}  # publication → (patent id, its application number)
    for start in range(0, len(app_numbers), 500):
        chunk = app_numbers[start : start + 500]
        for app, pid in Patent.objects.filter(application_number__in=chunk).values_list("application_number", "pk"):
            if app:
                by_app[app] = pid
    for start in range(0, len(pub_numbers), 500):
        chunk = pub_numbers[start : start + 500]
        for number, pid, app in PatentPublication.objects.filter(number__in=chunk).values_list(
            "number", "patent_id", "patent__application_number"
        ):
            by_pub[number] = (pid, app)
        for number, pid, app in Patent.objects.filter(publication_number__in=chunk).values_list(
            "publication_number", "pk", "application_number"
        ):
            by_pub.setdefault(number, (pid, app))
    problems: list[RowProblem] = []
    for line, (app, pubs) in identities.items():
        target = by_app.get(app) if app else None
        for number in pubs:
            if number not in by_pub:
                continue
            pid, stored_app = by_pub[number]
            if app and stored_app and stored_app != app:
                problems.append(RowProblem(
                    line, "publication_number", number,
                    f"该公开号在库中属于申请号 {stored_app}，与本行申请号 {app} 冲突 / "
                    f"already stored under application {stored_app}, not {app}",
                ))
                break
            if target is None:
                target = pid
            elif pid != target:
                owner = f"申请号 {app} 的专利" if app and by_app.get(app) == target else "本行另一公开号所属的专利"
                problems.append(RowProblem(
                    line, "publication_number", number,
                    f"该公开号在库中属于另一件专利（ID {pid}），不是{owner}（ID {target}）/ already stored on another "
                    f"patent (id {pid}) than the one this row's identifiers name (id {target})",
                ))
                break
    return problems


__all__ = ["FileChanged", "ImportFileError", "ImportSummary", "RowProblem", "RowValidator", "import_patents_file"]
