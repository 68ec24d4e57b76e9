"""Forms of the listing and demand pages. They parse input (yuan strings into ``Money``, numbers into
patents) and hand it to one service; the services' ``RuleBroken`` errors land on the matching field."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceKind
from listings.trading.models import AttachmentKind, DealType
from listings.trading.selectors import patents_resolve
from listings.trading.services.editing import listing_violations
from marketplace.forms import preselect_single_organisation
from marketplace.kernel.forms import IsoDateInput, add_rule_violations, parse_percent_to_bps, parse_yuan
from marketplace.kernel.limits import TEXT_MAX
from marketplace.models import Organisation


class ListingForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("挂牌机构"), queryset=Organisation.objects.none())
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
                                  max_length=TEXT_MAX)
    patent_numbers = forms.CharField(
        label=_("专利"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个公开（公告）号或申请号，如 CN114081026A 或 201710601862.3；多项即为专利组合"),
    )
    deal_type = forms.ChoiceField(label=_("交易方式"), choices=DealType.choices)
    licence_kind = forms.ChoiceField(label=_("许可类型"), choices=[("", "—"), *LicenceKind.choices], required=False)
    territory = forms.CharField(label=_("许可地域"), max_length=200, required=False)
    field_of_use = forms.CharField(label=_("使用领域"), max_length=200, required=False)
    term_start = forms.DateField(label=_("许可期限起"), required=False, widget=IsoDateInput())
    term_end = forms.DateField(label=_("许可期限止"), required=False, widget=IsoDateInput())
    sublicensing_allowed = forms.BooleanField(label=_("允许分许可"), required=False)
    price = forms.CharField(label=_("价格（元）"), required=False, help_text=_("留空表示面议"))
    royalty_rate = forms.CharField(label=_("提成费率（%）"), required=False)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=IsoDateInput())

    #: service field → form field
    #: a one-time token per form (set when the empty form is shown): submitting the same form twice creates once
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    FIELD_MAP = {
        "patents": "patent_numbers", "price_amount": "price", "price_currency": "price",
        "royalty_rate_bps": "royalty_rate",
    }

    def __init__(self, *args, organisations=None, listing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.listing = listing  # when editing: its own patents do not conflict with it
        self.fields["organisation"].queryset = organisations if organisations is not None else Organisation.objects.none()
        preselect_single_organisation(self.fields["organisation"])

    def clean(self):
        """The service's rules too, on whatever parsed: one submit shows every error, not the field errors first and
        the rules on the next round."""
        cleaned = super().clean()
        names = ("title", "description", "deal_type", "licence_kind", "territory", "field_of_use", "term_start",
                 "term_end", "sublicensing_allowed", "price", "expires_on")
        values = {name: cleaned[name] for name in names if cleaned.get(name) is not None}
        if cleaned.get("royalty_rate") is not None:
            values["royalty_rate_bps"] = cleaned["royalty_rate"]
        violations = listing_violations(
            patents=cleaned.get("patent_numbers") if "patent_numbers" not in self.errors else None,
            exclude_listing=self.listing.pk if self.listing is not None else None, **values,
        )
        add_rule_violations(self, violations, self.FIELD_MAP)
        return cleaned

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

    def creation_kwargs(self) -> dict:
        """``service_kwargs`` plus the form's one-time token, for the create service."""
        return {**self.service_kwargs(), "submission_token": self.cleaned_data.get("submission_token")}

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


