"""Every domain error: one ``DomainError(field, code, message)`` base, so pages and the API show them alike."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

NON_FIELD = "non_field_errors"


class DomainError(Exception):
    """A refusal by a domain rule, naming the field it concerns, a stable code and a message for people.

    ``status`` is the HTTP status the API answers with. Subclasses fix ``code``/``status`` defaults.
    """

    status = 400
    default_code = "invalid"

    def __init__(self, field: str | None = None, code: str | None = None, message: str = ""):
        self.field = field or NON_FIELD
        self.code = code or self.default_code
        self.message = message
        Exception.__init__(self, message)  # not super(): subclasses mix in ValidationError

    @property
    def violations(self) -> list[tuple[str, str, str]]:
        """``(field, code, message)`` for each problem; one here, several in ``RuleBroken``."""
        return [(self.field, self.code, self.message)]

    def as_dict(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for field, _code, message in self.violations:
            result.setdefault(field, []).append(message)
        return result

    def __str__(self) -> str:
        return self.message


class NotPermitted(DomainError, PermissionDenied):
    """The actor may not do this (403)."""

    status = 403
    default_code = "not_permitted"

    def __init__(self, message: str = "", field: str | None = None, code: str | None = None):
        DomainError.__init__(self, field, code, message)


class TooSoon(DomainError):
    """The same costly action was asked for again before its interval passed (429)."""

    status = 429
    default_code = "too_soon"


class IdentifierError(DomainError, ValueError):
    """A malformed identifier; ``str(err)`` is a message fit for the user."""

    default_code = "invalid_identifier"

    def __init__(self, message: str = "", field: str | None = None, code: str | None = None):
        DomainError.__init__(self, field, code, message)


class FilterError(DomainError, ValueError):
    """One bad query parameter: its name and what is wrong with it."""

    default_code = "invalid_parameter"

    def __init__(self, param: str, message: str, code: str | None = None):
        self.param = param
        DomainError.__init__(self, param, code, message)

    def __str__(self) -> str:
        return f"{self.param}: {self.message}"


def validation_errors(exc: ValidationError) -> list[tuple[str, str, str]]:
    """A Django ``ValidationError`` (e.g. from the upload checks or a model's ``full_clean``) as violations."""
    if hasattr(exc, "error_dict"):
        return [
            (field, error.code or "invalid", error.messages[0])
            for field, errors in exc.error_dict.items()
            for error in errors
        ]
    return [(NON_FIELD, error.code or "invalid", error.messages[0]) for error in exc.error_list]
