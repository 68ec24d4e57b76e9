"""Turning a parser that raises ``IdentifierError`` into a Django field validator."""
from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

from marketplace.kernel.errors import IdentifierError


def validate_with(parser: Callable[[str], object], value: object) -> None:
    """Run ``parser`` on a non-empty value; its ``IdentifierError`` becomes a ``ValidationError`` (code ``invalid``)."""
    if value in (None, ""):
        return
    try:
        parser(str(value))
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid") from exc
