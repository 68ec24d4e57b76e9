"""Money: an integer amount of minor units (fen for CNY) that never travels without its currency."""
from __future__ import annotations

from dataclasses import dataclass

MINOR_UNITS = {"CNY": 2, "USD": 2, "EUR": 2, "JPY": 0}
#: every amount stays below 2^53 minor units (about ¥90 trillion), so JavaScript clients read it exactly and no
#: database integer overflows; forms, serializers and services refuse larger ones as a named error
MAX_AMOUNT = 2**53 - 1


class CurrencyMismatch(ValueError):
    pass


class AmountOutOfRange(ValueError):
    """An amount at or beyond 2^53 minor units."""


@dataclass(frozen=True, order=True)
class Money:
    amount: int  # minor units
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money amounts are integers of minor units, not {type(self.amount).__name__}")
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"unsupported currency {self.currency!r}")
        if abs(self.amount) > MAX_AMOUNT:
            raise AmountOutOfRange(f"金额过大：须小于 2^53 分 / amount too large: below 2^53 minor units ({MAX_AMOUNT})")

    @classmethod
    def parse(cls, text: str, currency: str = "CNY") -> Money:
        """Parse a decimal string (``"12345.67"``, ``"1,000"``) exactly, without floats."""
        raw = str(text).strip().replace(",", "").replace("，", "")
        if raw.startswith(("¥", "￥")):
            raw = raw[1:]
        negative = raw.startswith("-")
        raw = raw.lstrip("+-")
        whole, _, frac = raw.partition(".")
        places = MINOR_UNITS[currency]
        if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > places or len(whole) > 20:
            raise ValueError(f"金额格式错误 {text!r} / malformed amount {text!r}")
        amount = int(whole) * 10**places + int((frac or "0").ljust(places, "0")[:places] or 0)
        return cls(-amount if negative else amount, currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {getattr(other, 'currency', other)!r}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def split_bps(self, basis_points: int) -> Money:
        """A share in basis points (1/100 of a percent), rounded half up to the minor unit."""
        return Money((self.amount * basis_points + 5000) // 10000, self.currency)

    def __str__(self) -> str:
        places = MINOR_UNITS[self.currency]
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**places) if places else (abs(self.amount), 0)
        symbol = "¥" if self.currency == "CNY" else f"{self.currency} "
        text = f"{whole:,}" + (f".{frac:0{places}d}" if places else "")
        return f"{sign}{symbol}{text}"
