"""Forms of the listing and demand pages. They parse input (yuan strings into ``Money``, numbers into
patents) and hand it to one service; the services' ``RuleBroken`` errors land on the matching field."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketplace.kernel.money import Money
from listings.catalogue.models import Industry, Zone
from listings.demands.models import Visibility
from listings.catalogue.models import LicenceKind
from listings.trading.models import AttachmentKind, DealType
from listings.trading.selectors import patents_resolve
from marketplace.models import Organisation


def parse_yuan(value: str, field_label) -> Money | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return Money.parse(text)
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
    if bps != bps.to_integral_value():
        raise ValidationError(_("费率最多保留两位小数"), code="invalid")
    return int(bps)


def apply_rule_errors(form: forms.Form, error: ValidationError, mapping: dict[str, str]) -> None:
    """Put each violation on the form field it names (or at the top when the form has no such field)."""
    for field, messages in error.message_dict.items():
        target = mapping.get(field, field)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def _preselect_single_organisation(field: forms.ModelChoiceField) -> None:
    """Someone who acts for one organisation gets it chosen, instead of an empty "---------" to pick."""
    if field.queryset.count() == 1:
        field.empty_label = None


class ListingForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("挂牌机构"), queryset=Organisation.objects.none())
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    patent_numbers = forms.CharField(
        label=_("专利"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个公开（公告）号或申请号，如 CN114081026A 或 201710601862.3；多项即为专利组合"),
    )
    deal_type = forms.ChoiceField(label=_("交易方式"), choices=DealType.choices)
    licence_kind = forms.ChoiceField(label=_("许可类型"), choices=[("", "—")] + LicenceKind.choices, required=False)
    territory = forms.CharField(label=_("许可地域"), max_length=200, required=False)
    field_of_use = forms.CharField(label=_("使用领域"), max_length=200, required=False)
    term_start = forms.DateField(label=_("许可期限起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    term_end = forms.DateField(label=_("许可期限止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sublicensing_allowed = forms.BooleanField(label=_("允许分许可"), required=False)
    price = forms.CharField(label=_("价格（元）"), required=False, help_text=_("留空表示面议"))
    royalty_rate = forms.CharField(label=_("提成费率（%）"), required=False)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    #: service field → form field
    FIELD_MAP = {
        "patents": "patent_numbers", "price_amount": "price", "price_currency": "price",
        "royalty_rate_bps": "royalty_rate",
    }

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations if organisations is not None else Organisation.objects.none()
        _preselect_single_organisation(self.fields["organisation"])

    def clean_patent_numbers(self):
        numbers = [n for n in self.cleaned_data["patent_numbers"].replace(",", "\n").replace("，", "\n").splitlines() if n.strip()]
        patents, missing = patents_resolve(numbers)
        if missing:
            raise ValidationError(_("库中没有这些专利：%(numbers)s") % {"numbers": "、".join(missing)}, code="patent_unknown")
        return patents

    def clean_price(self):
        return parse_yuan(self.cleaned_data.get("price"), _("价格"))

    def clean_royalty_rate(self):
        return parse_percent_to_bps(self.cleaned_data.get("royalty_rate"))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"], "description": data["description"], "patents": data["patent_numbers"],
            "deal_type": data["deal_type"], "licence_kind": data["licence_kind"], "territory": data["territory"],
            "field_of_use": data["field_of_use"], "term_start": data["term_start"], "term_end": data["term_end"],
            "sublicensing_allowed": data["sublicensing_allowed"], "price": data["price"],
            "royalty_rate_bps": data["royalty_rate"], "expires_on": data["expires_on"],
        }

    @classmethod
    def initial_for(cls, listing) -> dict:
        price = listing.price
        return {
            "organisation": listing.organisation_id, "title": listing.title, "description": listing.description,
            "patent_numbers": "\n".join(p.publication_number for p in listing.patents.all()),
            "deal_type": listing.deal_type, "licence_kind": listing.licence_kind, "territory": listing.territory,
            "field_of_use": listing.field_of_use, "term_start": listing.term_start, "term_end": listing.term_end,
            "sublicensing_allowed": listing.sublicensing_allowed,
            "price": "" if price is None else str(price).lstrip("¥").replace(",", ""),
            "royalty_rate": listing.royalty_rate_display.rstrip("%"), "expires_on": listing.expires_on,
        }


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("文件"), help_text=_("图片：JPG/PNG/WebP，≤5 MB；文件：PDF/DOCX/JPG/PNG，≤20 MB；授权书：PDF/JPG/PNG，≤10 MB"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class DemandForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("需求方机构"), queryset=Organisation.objects.none())
    title = forms.CharField(label=_("标题"), max_length=200)
    problem = forms.CharField(label=_("待解决的技术问题"), widget=forms.Textarea(attrs={"rows": 5}))
    ipc_codes = forms.CharField(
        label=_("IPC 分类"), required=False, help_text=_("任意层级，逗号或换行分隔，如 H04W, H04B 10/25")
    )
    industries = forms.ModelMultipleChoiceField(label=_("产业"), queryset=Industry.objects.all(), required=False)
    zones = forms.ModelMultipleChoiceField(label=_("实验区"), queryset=Zone.objects.all(), required=False)
    budget_min = forms.CharField(label=_("预算下限（元）"), required=False)
    budget_max = forms.CharField(label=_("预算上限（元）"), required=False)
    deal_types = forms.MultipleChoiceField(
        label=_("可接受的交易方式"), choices=DealType.choices, widget=forms.CheckboxSelectMultiple
    )
    deadline = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    visibility = forms.ChoiceField(label=_("公开方式"), choices=Visibility.choices, initial=Visibility.PUBLIC)

    FIELD_MAP: dict[str, str] = {}

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations if organisations is not None else Organisation.objects.none()
        _preselect_single_organisation(self.fields["organisation"])

    def clean_ipc_codes(self):
        text = self.cleaned_data.get("ipc_codes") or ""
        return [c.strip() for c in text.replace("，", ",").replace("\n", ",").split(",") if c.strip()]

    def clean_budget_min(self):
        return parse_yuan(self.cleaned_data.get("budget_min"), _("预算下限"))

    def clean_budget_max(self):
        return parse_yuan(self.cleaned_data.get("budget_max"), _("预算上限"))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"], "problem": data["problem"], "ipc_codes": data["ipc_codes"],
            "industries": list(data["industries"]), "zones": list(data["zones"]),
            "budget_min": data["budget_min"], "budget_max": data["budget_max"], "deal_types": data["deal_types"],
            "deadline": data["deadline"], "visibility": data["visibility"],
        }

    @classmethod
    def initial_for(cls, demand) -> dict:
        def yuan(money):
            return "" if money is None else str(money).lstrip("¥").replace(",", "")

        return {
            "organisation": demand.organisation_id, "title": demand.title, "problem": demand.problem,
            "ipc_codes": ", ".join(demand.ipc_codes or []), "industries": list(demand.industries.all()),
            "zones": list(demand.zones.all()), "budget_min": yuan(demand.budget_low),
            "budget_max": yuan(demand.budget_high), "deal_types": demand.deal_types, "deadline": demand.deadline,
            "visibility": demand.visibility,
        }


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, help_text=_("18 位，GB 32100-2015"))
    kind = forms.ChoiceField(label=_("机构类型"), choices=Organisation.Kind.choices)
    role = forms.ChoiceField(
        label=_("您的角色"),
        choices=[
            ("holder", _("权利人（挂牌专利）")), ("demand", _("需求方（发布技术需求）")),
            ("broker", _("技术经纪人")), ("lender", _("质权人（银行、担保机构）")),
        ],
    )
    contact = forms.CharField(label=_("联系方式"), max_length=300, required=False)
    description = forms.CharField(label=_("简介"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
