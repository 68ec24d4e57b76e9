"""Patentees: an operator confirms that a registered organisation is a named patentee, and records new owners after a transfer."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from listings.catalogue.models import Patent, Patentee, PatenteeRole, PatentPatentee
from listings.catalogue.names import normalise_name
from listings.catalogue.signals import announce_patents_changed
from marketplace.kernel.statemachine import Rules
from marketplace.models import Organisation
from marketplace.services import require_operator


def patentee_matches(organisation: Organisation, patentee: Patentee) -> bool:
    """Evidence that the organisation is the patentee: the same name (brackets and spaces aside) or the same credit code."""
    same_name = normalise_name(organisation.name) == patentee.normalised_name
    same_code = bool(organisation.uscc and patentee.uscc and organisation.uscc == patentee.uscc)
    return same_name or same_code


@transaction.atomic
def patentee_link_confirm(*, organisation: Organisation, patentee: Patentee, by: User) -> Patentee:
    """An operator confirms that ``organisation`` is ``patentee``; it may then list the patentee's patents without an authorisation.

    The organisation must be verified and show the same name or credit code; a patentee is linked to
    one organisation at a time. The patentee takes the organisation's credit code when it has none.
    """
    require_operator(by)
    locked = Patentee.objects.select_for_update().get(pk=patentee.pk)
    rules = Rules()
    rules.check(
        organisation.is_verified, "organisation", "organisation_not_verified",
        f"机构“{organisation}”尚未通过认证 / the organisation is not verified",
    )
    rules.check(
        patentee_matches(organisation, locked), "patentee", "patentee_mismatch",
        f"机构“{organisation}”与申请人“{locked}”的名称和统一社会信用代码都不一致 / "
        "neither the name nor the credit code matches",
    )
    if locked.organisation_id and locked.organisation_id != organisation.pk:
        rules.add(
            "patentee", "patentee_already_linked",
            f"申请人“{locked}”已关联机构“{locked.organisation}”/ the patentee is already linked to another organisation",
        )
    if organisation.uscc and not locked.uscc and Patentee.objects.filter(uscc=organisation.uscc).exclude(pk=locked.pk).exists():
        rules.add("uscc", "uscc_taken", "该统一社会信用代码已属于另一申请人 / the credit code belongs to another patentee")
    rules.raise_if_any()
    if locked.organisation_id == organisation.pk:
        return locked
    locked.organisation = organisation
    locked.linked_by = by
    locked.linked_at = timezone.now()
    fields = ["organisation", "linked_by", "linked_at"]
    if organisation.uscc and not locked.uscc:
        locked.uscc = organisation.uscc
        fields.append("uscc")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def patentee_link_revoke(*, patentee: Patentee, by: User) -> Patentee:
    """An operator removes a confirmed link (e.g. confirmed in error)."""
    require_operator(by)
    locked = Patentee.objects.select_for_update().get(pk=patentee.pk)
    locked.organisation = None
    locked.linked_by = by
    locked.linked_at = timezone.now()
    locked.save(update_fields=["organisation", "linked_by", "linked_at"])
    return locked


@transaction.atomic
def patent_owner_record(*, patent: Patent, patentee: Patentee, by: User, reason: str) -> PatentPatentee:
    """An operator records the new owner of a transferred patent (from the CNIPA register): it, not the former holder, may list it."""
    require_operator(by)
    rules = Rules()
    rules.check(bool((reason or "").strip()), "reason", "reason_required", "请填写登记依据 / a reason is required")
    rules.raise_if_any()
    locked = Patent.objects.select_for_update().get(pk=patent.pk)
    position = PatentPatentee.objects.filter(patent=locked, role=PatenteeRole.RECORDED_OWNER).count()
    link, _created = PatentPatentee.objects.get_or_create(
        patent=locked, patentee=patentee, role=PatenteeRole.RECORDED_OWNER,
        defaults={"position": position, "recorded_by": by, "recorded_at": timezone.now()},
    )
    announce_patents_changed([locked.pk])
    return link


@transaction.atomic
def patent_assignment_record(
    *, patent: Patent, new_holder: Organisation, former_holder: Organisation | None, by: User, reason: str
) -> PatentPatentee:
    """A transfer registered by CNIPA (evidence checked by an operator): the new holder becomes the recorded owner
    (its own patentee, linked to the organisation) and the patent's holder, in place of the former holder."""
    require_operator(by)
    patentee = Patentee.objects.filter(organisation=new_holder).order_by("pk").first()
    if patentee is None:
        patentee = Patentee.objects.filter(normalised_name=normalise_name(new_holder.name)).first()
        if patentee is None:
            patentee = Patentee(name=new_holder.name, organisation=new_holder, linked_by=by, linked_at=timezone.now())
            patentee.save()
    link = patent_owner_record(patent=patent, patentee=patentee, by=by, reason=reason)
    if former_holder is not None:
        patent.holders.remove(former_holder)
    patent.holders.add(new_holder)
    return link
