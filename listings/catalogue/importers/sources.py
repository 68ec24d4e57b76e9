"""Source profiles: how each known patent file names its columns, what its cells hold, and its licence."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from listings.catalogue.names import COUNTRY_SUFFIX_RE, display_name, normalise_name


@dataclass(frozen=True)
class Note:
    """A quirk of one cell that the profile handled (the row is imported); it goes to the report as a note."""

    field: str
    value: str
    reason: str


#: prepare(values) → (canonical values, notes); values are keyed by canonical column name
Prepare = Callable[[dict[str, object]], tuple[dict[str, object], list[Note]]]


@dataclass(frozen=True)
class SourceProfile:
    """One known source file: its column names, the preparation of its cells, and where it comes from."""

    key: str  # the file name it matches, also the ``source`` stored on each patent
    label_zh: str
    label_en: str
    origin: str
    licence: str
    columns: dict[str, str] = field(default_factory=dict)  # source column → canonical column
    prepare: Prepare | None = None

    def label(self, english: bool) -> str:
        return self.label_en if english else self.label_zh


# ---------------------------------------------------------------------------------------
# cn_patents_kexintong_mit.csv
# ---------------------------------------------------------------------------------------
#: assignee parts that are document metadata, not a name (号牌文件类型代码:1602, 专利号:ZL…, IPC(主分类):F24C 7/00)
_METADATA_RE = re.compile(r"^(号牌文件类型代码|号牌文件序号|专利号|IPC\s*[（(]主分类[)）]|申请号|公告号)\s*[:：]")
#: a Locarno class with its edition: ``31-00(15)``, ``14-03 (9)``, ``15-07``
LOCARNO_RE = re.compile(r"^(\d{2})-(\d{2})\s*(?:[（(]\s*(\d{1,2})\s*[)）])?$")
#: an IPC code's trailing CNIPA marker: I inventive information, N additional (non-inventive) information
_IPC_MARKER_RE = re.compile(r"(\(\d{4}\.\d{2}\))\s*[IN]$")


def split_assignees(cell: str) -> tuple[list[str], list[Note]]:
    """Names from an assignee cell (comma-separated): metadata parts dropped, ``（CN）`` cut, one name per party."""
    names: list[str] = []
    keys: set[str] = set()
    notes: list[Note] = []
    for part in re.split(r"[,，]", cell or ""):
        part = part.strip()
        if not part:
            continue
        if _METADATA_RE.match(part):
            notes.append(Note("applicants", part, "申请人单元格含文献元数据，已舍弃该部分 / document metadata in the assignee cell, dropped"))
            continue
        if COUNTRY_SUFFIX_RE.search(part):
            trimmed = COUNTRY_SUFFIX_RE.sub("", part)
            notes.append(Note("applicants", part, f"名称后缀国别代码已去掉，记为“{trimmed}” / country suffix cut: {trimmed}"))
            part = trimmed
        shown = display_name(part)
        key = normalise_name(shown)
        if key in keys:
            notes.append(Note("applicants", part, "同一名称的全角/半角括号写法重复，已合并 / the same name twice (full- and half-width brackets), merged"))
            continue
        keys.add(key)
        names.append(shown)
    return names, notes


def split_classes(cell: str) -> tuple[list[str], list[dict[str, object]], list[Note]]:
    """IPC codes (version date and I/N marker cut off) and Locarno classes from a ``;``-separated cell."""
    ipc: list[str] = []
    locarno: list[dict[str, object]] = []
    for part in re.split(r"[;；]", cell or ""):
        part = part.strip()
        if not part:
            continue
        match = LOCARNO_RE.match(part)
        if match:
            entry: dict[str, object] = {"code": f"{match.group(1)}-{match.group(2)}", "edition": int(match.group(3)) if match.group(3) else None}
            if entry not in locarno:
                locarno.append(entry)
            continue
        ipc.append(_IPC_MARKER_RE.sub(r"\1", part))
    return ipc, locarno, []


def _prepare_kexintong(values: dict[str, object]) -> tuple[dict[str, object], list[Note]]:
    prepared = dict(values)
    names, notes = split_assignees(str(values.get("applicants") or ""))
    prepared["applicants"] = names
    ipc, locarno, class_notes = split_classes(str(values.get("ipc_codes") or ""))
    prepared["ipc_codes"] = ipc
    prepared["locarno_classes"] = locarno
    return prepared, notes + class_notes


KEXINTONG = SourceProfile(
    key="cn_patents_kexintong_mit.csv",
    label_zh="上市公司授权专利数据集（科信通 kexintong）",
    label_en="Granted patents of listed companies (kexintong)",
    origin="GitHub ovalpatty/kexintong, commit 64021e8, data/demo/patent_records.csv",
    licence="MIT License — Copyright (c) 2026 Kexintong contributors",
    columns={
        "patent_title": "title",
        "assignee": "applicants",
        "application_number": "application_number",
        "grant_number": "publication_number",
        "ipc_code": "ipc_codes",
        "patent_type": "kind",
        "legal_status": "legal_status",
        "publication_date": "publication_date",
        # company_id, company_name, technology_field: the listed company, not the patent's data;
        # patent_abstract is always empty and abstract_available always False: ignored, so an
        # abstract another file supplied is never blanked.
        "company_id": "",
        "company_name": "",
        "technology_field": "",
        "patent_abstract": "",
        "abstract_available": "",
    },
    prepare=_prepare_kexintong,
)

TITLE_IPC = SourceProfile(
    key="cn_patents_title_ipc.csv",
    label_zh="中文专利 IPC 分类数据集（名称与 IPC 小类）",
    label_en="Chinese patent IPC classifier data set (titles and IPC subclasses)",
    origin="GitHub lxingy3/chinese-patent-ipc-classifier, commit 42c34e8",
    licence="MIT License — Copyright (c) 2026 Xiangyu Li",
)

ABSTRACT_CPC = SourceProfile(
    key="cn_patents_abstract_cpc_sample.csv",
    label_zh="中文专利 CPC 多标签分类样例（含摘要）",
    label_en="Chinese patent CPC multi-label sample (with abstracts)",
    origin="GitHub liaoleyuan/chinese-patent-cpc-multilabel-classification, commit 755a6d8 (from Google Patents)",
    licence="MIT License — Copyright (c) 2026 Liaoleyuan",
)

PROFILES: dict[str, SourceProfile] = {p.key: p for p in (TITLE_IPC, ABSTRACT_CPC, KEXINTONG)}


def profile_for(name: str) -> SourceProfile | None:
    """The profile of a file name or stored ``source`` value (``None`` for files without one)."""
    return PROFILES.get(name)


@dataclass(frozen=True)
class SourceLabel:
    key: str
    label: str
    licence: str
    origin: str


def source_labels(keys, *, english: bool) -> list[SourceLabel]:
    """Human labels of stored ``source`` values: profile label and licence; demo data said as such."""
    labels = []
    for key in keys:
        profile = profile_for(key)
        if profile is not None:
            labels.append(SourceLabel(key, profile.label(english), profile.licence, profile.origin))
        elif key == "demo":
            labels.append(SourceLabel(key, "Demo data generated by the project" if english else "演示数据（项目自动生成）", "", ""))
        else:
            labels.append(SourceLabel(key, key, "", ""))
    return labels
