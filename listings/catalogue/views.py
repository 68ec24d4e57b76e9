"""Catalogue pages for operators: confirming on the review page that a verified organisation is a patent's named patentee."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from listings.catalogue.models import Patentee
from listings.catalogue.services.patentees import patentee_link_confirm
from marketplace.kernel.pages import error_text, redirect_back
from marketplace.models import Organisation
from marketplace.services import require_operator


@login_required
@require_POST
def review_patentee_confirm(request, pk: int):
    """The review page's "is this patentee" button: the service checks verification, name or code, and an earlier link."""
    require_operator(request.user)
    patentee = get_object_or_404(Patentee, pk=pk)
    raw = request.POST.get("organisation", "")
    organisation = Organisation.objects.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
    if organisation is None:
        messages.error(request, f"{patentee}：{_('请选择要确认的机构')}")
        return redirect_back(request, "/review/")
    try:
        patentee_link_confirm(organisation=organisation, patentee=patentee, by=request.user)
    except ValidationError as exc:
        messages.error(request, f"{patentee}：{error_text(exc)}")
    else:
        messages.success(request, _("已确认“%(organisation)s”即申请人“%(patentee)s”，其名下专利可直接挂牌")
                         % {"organisation": organisation.name, "patentee": patentee.name})
    return redirect_back(request, "/review/")
