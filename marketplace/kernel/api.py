"""API plumbing shared by every domain: the one exception handler, the error schemas, the reason body."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, ErrorDetail, NotAuthenticated, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from marketplace.kernel.errors import NON_FIELD, DomainError, validation_errors
from marketplace.kernel.statemachine import IllegalTransition

#: the body of every domain error (400, 403, 409): each message by field, and each rule with its code
DOMAIN_ERROR = inline_serializer(
    "DomainError",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        "rules": serializers.ListField(child=serializers.DictField()),
        "action": serializers.CharField(required=False),
        "status": serializers.CharField(required=False),
    },
)
RULE_ERROR = DOMAIN_ERROR
CONFLICT = DOMAIN_ERROR


def _body(violations: list[tuple[str, str, str]]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for field, _code, message in violations:
        errors.setdefault(field, []).append(message)
    return {
        "detail": "; ".join(message for _f, _c, message in violations),
        "errors": errors,
        "rules": [{"field": field, "rule": code, "message": message} for field, code, message in violations],
    }


def _serializer_violations(detail: Any, prefix: str = "") -> list[tuple[str, str, str]]:
    """A serializer's nested ``{field: [ErrorDetail]}`` as flat ``(field, code, message)``; nested fields dotted."""
    if isinstance(detail, dict):
        return [v for key, value in detail.items() for v in _serializer_violations(value, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(detail, list):
        if all(isinstance(item, (str, ErrorDetail)) for item in detail):
            return [(prefix or "non_field_errors", getattr(item, "code", None) or "invalid", str(item)) for item in detail]
        return [v for index, item in enumerate(detail) for v in _serializer_violations(item, f"{prefix}.{index}")]
    return [(prefix or "non_field_errors", getattr(detail, "code", None) or "invalid", str(detail))]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: every domain error answers in one shape.

    ``DomainError`` (rules broken → 400, not permitted → 403, illegal transition → 409) and Django's
    ``ValidationError`` (upload checks, ``full_clean``) → ``{"detail", "errors": {field: [message]},
    "rules": [{"field", "rule", "message"}]}``; an illegal transition adds ``action`` and ``status``.
    Everything else is DRF's own handling.
    """
    if isinstance(exc, DomainError):
        body = _body(exc.violations)
        if isinstance(exc, IllegalTransition):
            body.update(action=exc.action, status=exc.current)
        return Response(body, status=exc.status)
    if isinstance(exc, DataError):
        # a value the database cannot hold (an id beyond bigint in the path, …): no such object, nothing written
        set_rollback()
        return Response(_body([(NON_FIELD, "not_found", "未找到 / not found")]), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        return Response(_body(validation_errors(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DRFValidationError):
        # a serializer's refusal in the documented shape (detail, errors, rules); its own top-level field keys stay
        # beside them for the clients written against DRF's default body
        violations = _serializer_violations(exc.detail)
        own = exc.detail if isinstance(exc.detail, dict) else {}
        return Response({**own, **_body(violations)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied) and not isinstance(exc, PermissionDenied):
        exc = PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if (
        response is not None and isinstance(exc, (NotAuthenticated, AuthenticationFailed, PermissionDenied))
        and isinstance(response.data, dict) and set(response.data) == {"detail"}
    ):
        # a refusal by a permission class answers in the same shape as a domain refusal
        code = getattr(response.data["detail"], "code", None) or "not_permitted"
        response.data = _body([(NON_FIELD, str(code), str(response.data["detail"]))])
    return response


class ReasonSerializer(serializers.Serializer):
    """The body of every action that may carry a reason (reject, suspend, revoke …)."""

    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


def reason_from(request: Any) -> str:
    serializer = ReasonSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return str(serializer.validated_data["reason"])
