"""The matching development set: demands written as firms write them, each with its acceptable IPC subclasses."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("devset") / "demands_v1.jsonl"
_SUBCLASS = re.compile(r"^[A-H]\d{2}[A-Z]$")
#: an IPC code written into a demand's text would make the set measure something else
_IPC_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-H]\d{2}[A-Z](?:\s*\d{1,4}/\d{2,6})?(?![A-Za-z0-9])")


@dataclass(frozen=True)
class DevDemand:
    id: str
    text: str
    industry: str  # an Industry.code, e.g. SEI-5.2
    acceptable: frozenset[str]  # IPC subclasses a good match may sit in
    deal_types: tuple[str, ...]


class DevSetError(ValueError):
    """A line of the development set is malformed; the message names the line and the field."""


def load(path: str | Path = DEFAULT_PATH) -> list[DevDemand]:
    """Every demand of the file, checked: a paragraph of text with no IPC code, an industry, subclasses."""
    demands: list[DevDemand] = []
    seen: set[str] = set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DevSetError(f"line {number}: not JSON ({exc})") from exc
        where = f"line {number} ({row.get('id', '?')})"
        text = str(row.get("text", "")).strip()
        if len(text) < 40:
            raise DevSetError(f"{where}: text: a demand is a paragraph (at least 40 characters)")
        if _IPC_IN_TEXT.search(text):
            raise DevSetError(f"{where}: text: names an IPC code; development demands carry none")
        acceptable = [str(code) for code in row.get("acceptable", [])]
        if not acceptable or not all(_SUBCLASS.match(code) for code in acceptable):
            raise DevSetError(f"{where}: acceptable: one or more IPC subclasses such as H01M")
        if not str(row.get("industry", "")).strip():
            raise DevSetError(f"{where}: industry: required")
        if row["id"] in seen:
            raise DevSetError(f"{where}: id: used twice")
        seen.add(row["id"])
        demands.append(DevDemand(id=str(row["id"]), text=text, industry=str(row["industry"]),
                                 acceptable=frozenset(acceptable), deal_types=tuple(row.get("deal_types", ()))))
    return demands
