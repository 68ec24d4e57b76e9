"""Chinese patent identifiers: application and publication numbers, IPC codes (DOMAIN.md §1).

Every parser returns a normalised value or raises ``IdentifierError`` with a message that
names what is wrong, so that forms, the API and the importer can all report the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from marketplace.kernel.errors import IdentifierError
from marketplace.kernel.validators import validate_with

# ---------------------------------------------------------------------------------------
# Application numbers
# ---------------------------------------------------------------------------------------
APPLICATION_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
APPLICATION_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)

#: kind digit → patent kind (since 2003-10; PCT national phase 8 and 9)
KIND_BY_DIGIT = {"1": "invention", "2": "utility_model", "3": "design", "8": "invention", "9": "utility_model"}

_APP_RE = re.compile(r"^(?:CN|ZL)?\s*(\d{8}|\d{12})\s*\.?\s*([0-9Xx])$")


def application_check_digit(digits: str) -> str:
    """The check character for 8 (pre-2003) or 12 (since 2003-10) digits: Σ dᵢ·wᵢ mod 11, 10 → X."""
    if not digits.isdigit() or len(digits) not in (8, 12):
        raise IdentifierError(f"需要 8 或 12 位数字 / expected 8 or 12 digits, got {digits!r}")
    weights = APPLICATION_WEIGHTS_12 if len(digits) == 12 else APPLICATION_WEIGHTS_8
    value = sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return "X" if value == 10 else str(value)


@dataclass(frozen=True)
class ApplicationNumber:
    digits: str
    check: str

    @property
    def kind(self) -> str:
        digit = self.digits[4] if len(self.digits) == 12 else self.digits[2]
        try:
            return KIND_BY_DIGIT[digit]
        except KeyError:
            raise IdentifierError(f"未知的专利类型位 {digit} / unknown kind digit {digit}") from None

    @property
    def year(self) -> int:
        if len(self.digits) == 12:
            return int(self.digits[:4])
        yy = int(self.digits[:2])
        return 1900 + yy if yy >= 85 else 2000 + yy

    def __str__(self) -> str:
        return f"{self.digits}.{self.check}"

    @property
    def patent_number(self) -> str:
        return f"ZL{self}"


def parse_application_number(value: str) -> ApplicationNumber:
    """Parse ``201710601862.3``, ``CN2017106018623``, ``ZL201710601862.3`` or ``95115608.X``."""
    if value is None:
        raise IdentifierError("申请号为空 / application number is empty")
    text = str(value).strip().upper().replace(" ", "")
    match = _APP_RE.match(text)
    if not match:
        raise IdentifierError(
            f"申请号格式错误 {value!r}：应为 12 位数字加校验位（如 201710601862.3）或 8 位加校验位 / "
            f"malformed application number {value!r}"
        )
    digits, check = match.group(1), match.group(2).upper()
    expected = application_check_digit(digits)
    if check != expected:
        raise IdentifierError(
            f"申请号校验位错误 {value!r}：应为 {expected} / wrong check digit in {value!r}, expected {expected}"
        )
    number = ApplicationNumber(digits, check)
    if len(digits) == 12:
        if not 2003 <= number.year <= 2100:
            raise IdentifierError(f"申请号年份不合理 {number.year} / implausible year {number.year}")
        _ = number.kind  # raises on an unknown kind digit
    else:
        if digits[2] not in "123":
            raise IdentifierError(f"未知的专利类型位 {digits[2]} / unknown kind digit {digits[2]}")
    return number


# ---------------------------------------------------------------------------------------
# Publication numbers
# ---------------------------------------------------------------------------------------
#: kind code → (patent kind, what the publication is)
PUBLICATION_KIND_CODES = {
    "A": ("invention", "application_published"),
    "B": ("invention", "granted"),
    "C": ("invention", "granted"),
    "U": ("utility_model", "granted"),
    "Y": ("utility_model", "granted"),
    "S": ("design", "granted"),
    "D": ("design", "granted"),
}
_PUB_RE = re.compile(r"^CN(\d{6,10})([ABCUYSD])(\d?)$")


@dataclass(frozen=True)
class PublicationNumber:
    number: str  # CN114081026A
    kind_code: str  # A

    @property
    def patent_kind(self) -> str:
        return PUBLICATION_KIND_CODES[self.kind_code][0]

    @property
    def is_grant(self) -> bool:
        return PUBLICATION_KIND_CODES[self.kind_code][1] == "granted"

    def __str__(self) -> str:
        return self.number


def parse_publication_number(value: str) -> PublicationNumber:
    if value is None:
        raise IdentifierError("公开号为空 / publication number is empty")
    text = str(value).strip().upper().replace(" ", "")
    match = _PUB_RE.match(text)
    if not match:
        raise IdentifierError(
            f"公开（公告）号格式错误 {value!r}：应为 CN + 数字 + 文献种类代码（A/B/C/U/Y/S/D），如 CN114081026A / "
            f"malformed publication number {value!r}"
        )
    return PublicationNumber(f"CN{match.group(1)}{match.group(2)}{match.group(3)}", match.group(2))


# ---------------------------------------------------------------------------------------
# IPC codes
# ---------------------------------------------------------------------------------------
IPC_LEVELS = ("section", "class", "subclass", "main_group", "subgroup")
_IPC_RE = re.compile(r"^([A-H])(?:(\d{2})(?:([A-Z])(?:(\d{1,4})(?:/(\d{2,6}))?)?)?)?$")


@dataclass(frozen=True)
class IpcCode:
    """A normalised IPC code (``H04B10/25``) addressable at every level."""

    section: str
    klass: str | None = None
    subclass: str | None = None
    group: str | None = None
    subgroup: str | None = None

    @property
    def level(self) -> str:
        if self.subgroup is not None:
            return "main_group" if self.subgroup == "00" else "subgroup"
        if self.group is not None:
            return "main_group"
        if self.subclass is not None:
            return "subclass"
        if self.klass is not None:
            return "class"
        return "section"

    def at(self, level: str) -> str | None:
        """This code cut to ``level`` (``None`` when the code is not that deep)."""
        if level == "section":
            return self.section
        if level == "class":
            return f"{self.section}{self.klass}" if self.klass else None
        if level == "subclass":
            return f"{self.section}{self.klass}{self.subclass}" if self.subclass else None
        if level == "main_group":
            return f"{self.section}{self.klass}{self.subclass}{self.group}/00" if self.group else None
        if level == "subgroup":
            return str(self) if self.subgroup is not None and self.subgroup != "00" else None
        raise ValueError(level)

    @property
    def levels(self) -> dict[str, str | None]:
        return {level: self.at(level) for level in IPC_LEVELS}

    def __str__(self) -> str:
        text = self.section + (self.klass or "") + (self.subclass or "")
        if self.group is not None:
            text += f"{self.group}/{self.subgroup or '00'}"
        return text

    @property
    def display(self) -> str:
        """The printed form with a space after the subclass: ``H04B 10/25``."""
        if self.group is None:
            return str(self)
        return f"{self.section}{self.klass}{self.subclass} {self.group}/{self.subgroup or '00'}"


def parse_ipc(value: str) -> IpcCode:
    """Normalise ``H04B 10/25``, ``h04b10/25``, ``H04B0010250000`` (WIPO 14-char) to ``H04B10/25``."""
    if value is None:
        raise IdentifierError("IPC 分类号为空 / IPC code is empty")
    text = str(value).strip().upper().replace(" ", "").replace("\u3000", "")
    long_form = re.match(r"^([A-H]\d{2}[A-Z])(\d{4})(\d{6})$", text)
    if long_form:
        group = str(int(long_form.group(2)))
        sub = long_form.group(3).rstrip("0")
        sub = sub.ljust(2, "0")
        text = f"{long_form.group(1)}{group}/{sub}"
    text = re.sub(r"\(\d{4}\.\d{2}\)$", "", text)  # trailing version "(2006.01)"
    match = _IPC_RE.match(text)
    if not match:
        raise IdentifierError(
            f"IPC 分类号格式错误 {value!r}：应为 部-大类-小类-大组/小组，如 H04B 10/25 / malformed IPC code {value!r}"
        )
    section, klass, subclass, group, subgroup = match.groups()
    if group is not None:
        group = str(int(group))
        if group == "0":
            raise IdentifierError(f"IPC 大组号不能为 0：{value!r} / main group cannot be 0")
        if subgroup is None:
            subgroup = "00"
    return IpcCode(section, klass, subclass, group, subgroup)


def ipc_main_group(code: str) -> str:
    """The main-group key (``H04B10/00``) used by scope and facets."""
    return parse_ipc(code).at("main_group") or ""


# Django validators -----------------------------------------------------------------------
_validate = validate_with


def validate_application_number(value) -> None:
    _validate(parse_application_number, value)


def validate_publication_number(value) -> None:
    _validate(parse_publication_number, value)


def validate_ipc(value) -> None:
    _validate(parse_ipc, value)


__all__ = [
    "IdentifierError",
    "ApplicationNumber",
    "PublicationNumber",
    "IpcCode",
    "parse_application_number",
    "parse_publication_number",
    "parse_ipc",
    "application_check_digit",
    "validate_application_number",
    "validate_publication_number",
    "validate_ipc",
]
