"""The demand form (posting and editing a technology demand)."""
from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import DealType, Industry, Zone
from listings.catalogue.selectors import industry_groups
from listings.demands.models import Visibility
from listings.demands.services import demand_violations
from marketplace.forms import preselect_single_organisation
from marketplace.kernel.forms import IsoDateInput, add_rule_violations, parse_yuan
from marketplace.kernel.limits import TEXT_MAX, TITLE_MAX
from marketplace.models import Organisation


class DemandForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("需求方机构"), queryset=Organisation.objects.none())
    title = forms.CharField(label=_("标题"), max_length=TITLE_MAX)
    problem = forms.CharField(label=_("待解决的技术问题"), widget=forms.Textarea(attrs={"rows": 5}), max_length=TEXT_MAX)
    ipc_codes = forms.CharField(
        label=_("IPC 分类"), required=False,
        help_text=_("任意层级，逗号或换行分隔，如 H04W, H04B 10/25；可输入分类号或中文关键词（如“无线”）查找；不填时按描述预测技术领域参与匹配，下方可点选推荐的分类"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "aria-describedby": "ipc-suggestions", "data-ipc-picker": ""}),
    )
    industries = forms.ModelMultipleChoiceField(
        label=_("产业"), queryset=Industry.objects.all(), required=False,
        help_text=_("可多选，输入文字即可查找；实验区主导产业与战略性新兴产业分组列出（无脚本时按住 Ctrl 或 ⌘ 点选多项）"),
        widget=forms.SelectMultiple(attrs={"data-picker": "", "size": "8"}),
    )
    zones = forms.ModelMultipleChoiceField(
        label=_("实验区"), queryset=Zone.objects.all(), required=False,
        help_text=_("可多选，留空表示不限实验区（无脚本时按住 Ctrl 或 ⌘ 点选多项）"),
        widget=forms.SelectMultiple(attrs={"data-picker": "", "size": "8"}),
    )
    budget_min = forms.CharField(label=_("预算下限（元）"), required=False)
    budget_max = forms.CharField(label=_("预算上限（元）"), required=False)
    deal_types = forms.MultipleChoiceField(
        label=_("可接受的交易方式"), choices=DealType.choices, widget=forms.CheckboxSelectMultiple
    )
    deadline = forms.DateField(label=_("截止日期"), widget=IsoDateInput())
    visibility = forms.ChoiceField(label=_("公开方式"), choices=Visibility.choices, initial=Visibility.PUBLIC)

    #: a one-time token per form (set when the empty form is shown): submitting the same form twice creates once
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    FIELD_MAP: dict[str, str] = {}

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations if organisations is not None else Organisation.objects.none()
        preselect_single_organisation(self.fields["organisation"])
        # all industries, grouped (the zones' leading industries, then each SEI 2021 category); validation stays on the
        # queryset, only the options are grouped
        self.fields["industries"].choices = [
            (group, [(industry.pk, industry.name) for industry in members]) for group, members in industry_groups()
        ]
        self.fields["ipc_codes"].widget.attrs["data-lookup-url"] = reverse("ipc-lookup")

    def clean_ipc_codes(self):
        text = self.cleaned_data.get("ipc_codes") or ""
        return [c.strip() for c in text.replace("，", ",").replace("\n", ",").split(",") if c.strip()]

    def clean_budget_min(self):
        return parse_yuan(self.cleaned_data.get("budget_min"), _("预算下限"))

    def clean_budget_max(self):
        return parse_yuan(self.cleaned_data.get("budget_max"), _("预算上限"))

    def clean(self):
        """The service's rules too, on whatever parsed: one submit shows every error, not the field errors first and
        the rules on the next round."""
        cleaned = super().clean()
        values = {name: cleaned.get(name) for name in (
            "title", "problem", "ipc_codes", "budget_min", "budget_max", "deal_types", "deadline", "visibility")}
        values = {name: value for name, value in values.items() if value is not None}
        values["industries"] = list(cleaned.get("industries") or [])
        if "ipc_codes" in self.errors or "industries" in self.errors:
            values.setdefault("ipc_codes", ["-"])  # do not add "IPC or industry required" beside their own error
        add_rule_violations(self, demand_violations(**values), self.FIELD_MAP)
        return cleaned

    def creation_kwargs(self) -> dict:
        """``service_kwargs`` plus the form's one-time token, for the create service."""
        return {**self.service_kwargs(), "submission_token": self.cleaned_data.get("submission_token")}

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
