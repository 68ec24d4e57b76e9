"""Form helpers every domain uses: yuan and percentages typed by people, domain errors shown beside their fields."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from marketplace.kernel.money import MAX_AMOUNT, AmountOutOfRange, Money


def parse_yuan(value: str, field_label: str | Promise) -> Money | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return Money.parse(text)
    except AmountOutOfRange as exc:
        raise ValidationError(
            _("%(label)s过大：最多 %(max)s 元") % {"label": field_label, "max": f"{MAX_AMOUNT // 100:,}"}, code="max_value",
        ) from exc
    except ValueError as exc:
        raise ValidationError(
            _("%(label)s格式错误：请填写以元为单位的数字，如 300000 或 300000.50（不要写“万”等单位）") % {"label": field_label},
            code="invalid",
        ) from exc


def parse_percent_to_bps(value: str) -> int | None:
    """"3.5" (percent) → 350 basis points, exactly (Decimal, never float)."""
    text = (value or "").strip().rstrip("%").strip()
    if not text:
        return None
    try:
        bps = Decimal(text) * 100
    except InvalidOperation:
        raise ValidationError(_("费率格式错误，应为百分数，如 3.5"), code="invalid") from None
    if not bps.is_finite() or abs(bps) > MAX_AMOUNT:  # "Infinity", "NaN", 1e400: a form error, never a 500
        raise ValidationError(_("费率须为 0.01 至 100 之间的百分数"), code="invalid")
    if bps != bps.to_integral_value():
        raise ValidationError(_("费率最多保留两位小数"), code="invalid")
    return int(bps)


def apply_rule_errors(form: forms.Form, error: ValidationError, mapping: dict[str, str]) -> None:
    """Put each violation on the form field it names (or at the top when the form has no such field)."""
    for field, messages in error.message_dict.items():
        target = mapping.get(field, field)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def add_rule_violations(form: forms.Form, violations: list[tuple[str, str, str]], mapping: dict[str, str]) -> None:
    """Put a service's rule violations (``(field, rule, message)``, checked without writing) on the form, beside the
    form's own field errors, so that one submit shows every problem. A field that already failed its own parsing keeps
    that one message: its rule checks ran on a blank stand-in and would only repeat it."""
    failed = set(form.errors)
    for field, _rule, message in violations:
        target = mapping.get(field, field)
        target_name = target if target in form.fields else None
        if target_name in failed:
            continue
        if target_name is not None and message in form.errors.get(target_name, []):
            continue
        form.add_error(target_name, message)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class IsoDateInput(forms.DateInput):
    """A browser date picker (``<input type="date">``). Its value must be ``YYYY-MM-DD`` whatever the page's
    language: Django would otherwise render the first localised input format (``2027/01/31`` in Chinese), which the
    browser shows as blank and then submits as empty, silently erasing the date on every edit."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
