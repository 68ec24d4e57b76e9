"""Forms of the deal pages: enquiry, offer (with milestones one per line), commission, broker, review, reasons."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceKind
from listings.deals.models import CommissionPayer, DealKind, FindingSeverity, Side
from marketplace.kernel.money import Money


def _fen(text: str | None) -> int | None:
    if text in (None, ""):
        return None
    try:
        return Money.parse(text).amount
    except ValueError as exc:
        raise forms.ValidationError(str(exc), code="invalid") from None


class EnquiryForm(forms.Form):
    organisation: forms.ModelChoiceField = forms.ModelChoiceField(queryset=None, label=_("代表机构"))
    deal_type = forms.ChoiceField(choices=DealKind.choices, label=_("交易方式"))
    licence_kind = forms.ChoiceField(choices=[("", "—"), *LicenceKind.choices], required=False, label=_("许可类型"))
    price = forms.CharField(required=False, label=_("意向价格（元）"))
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000, label=_("意向说明"))

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean_price(self):
        return _fen(self.cleaned_data.get("price"))


class OfferForm(forms.Form):
    deal_type = forms.ChoiceField(choices=DealKind.choices, label=_("交易方式"))
    price = forms.CharField(label=_("价格（元）"))
    licence_kind = forms.ChoiceField(choices=[("", "—"), *LicenceKind.choices], required=False, label=_("许可类型"))
    territory = forms.CharField(required=False, max_length=200, label=_("许可地域"))
    field_of_use = forms.CharField(required=False, max_length=200, label=_("使用领域"))
    term_start = forms.DateField(required=False, label=_("许可期限起"), widget=forms.DateInput(attrs={"type": "date"}))
    term_end = forms.DateField(required=False, label=_("许可期限止"), widget=forms.DateInput(attrs={"type": "date"}))
    royalty_bps = forms.IntegerField(required=False, min_value=0, max_value=10000, label=_("提成费率（基点）"))
    milestones = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label=_("付款计划"),
        help_text=_("每行一期：名称|金额（元）|到期日（可空），合计须等于价格"),
    )
    valid_days = forms.IntegerField(min_value=1, max_value=365, initial=14, label=_("报价有效天数"))
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000, label=_("说明"))

    def clean_price(self):
        return _fen(self.cleaned_data.get("price"))

    def clean_milestones(self):
        rows = []
        for i, line in enumerate((self.cleaned_data.get("milestones") or "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 2:
                raise forms.ValidationError(_("第 %(n)s 行应为：名称|金额|到期日") % {"n": i}, code="milestones_invalid")
            rows.append({"label": parts[0], "amount": _fen(parts[1]), "due": parts[2] if len(parts) > 2 else ""})
        return rows

    def terms(self) -> dict:
        data = self.cleaned_data
        return {
            "deal_type": data["deal_type"], "price_amount": data["price"], "licence_kind": data.get("licence_kind") or "",
            "territory": data.get("territory") or "", "field_of_use": data.get("field_of_use") or "",
            "term_start": data.get("term_start"), "term_end": data.get("term_end"), "royalty_bps": data.get("royalty_bps"),
            "milestones": data.get("milestones") or [],
            "expires_at": timezone.now() + dt.timedelta(days=data["valid_days"]),
        }


class CommissionForm(forms.Form):
    bps = forms.IntegerField(required=False, min_value=0, max_value=10000, label=_("佣金费率（基点）"))
    fixed = forms.CharField(required=False, label=_("固定佣金（元）"))
    payer = forms.ChoiceField(choices=CommissionPayer.choices, label=_("支付方"))

    def clean_fixed(self):
        return _fen(self.cleaned_data.get("fixed"))


class BrokerForm(forms.Form):
    side = forms.ChoiceField(choices=Side.choices, label=_("代表方"))
    organisation = forms.IntegerField(required=False, label=_("经纪机构编号（留空则申请运营指派）"))
    note = forms.CharField(required=False, max_length=2000, label=_("说明"))


class FindingForm(forms.Form):
    code = forms.ChoiceField(choices=[("invalidation", _("无效宣告")), ("litigation", _("诉讼")),
                                      ("ownership_dispute", _("权属争议")), ("other", _("其他"))], label=_("类别"))
    severity = forms.ChoiceField(choices=FindingSeverity.choices, label=_("风险程度"))
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("说明"))


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000, label=_("说明"))
