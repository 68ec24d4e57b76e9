"""Forms of the parties: registering an organisation; helpers every form uses."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.models import Organisation


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=200)
    # room for a code pasted with spaces or hyphens: they are removed before the 18 characters are checked
    uscc = forms.CharField(
        label=_("统一社会信用代码"), max_length=40, help_text=_("18 位，GB 32100-2015；可含空格或连字符"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
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


def preselect_single_organisation(field: forms.ModelChoiceField) -> None:
    """Someone who acts for one organisation gets it chosen, instead of an empty "---------" to pick."""
    if field.queryset is not None and field.queryset.count() == 1:
        field.empty_label = None
