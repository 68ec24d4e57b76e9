"""The catalogue's register: legal status changes, encumbrances (pledge, preservation) and recorded licences."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from listings.catalogue.models import (
    LIVE_STATUSES,
    Encumbrance,
    EncumbranceKind,
    LegalStatus,
    LicenceGrant,
    LicenceKind,
    Patent,
)
from listings.catalogue.signals import announce_patents_changed, encumbrance_released, patent_encumbered, patent_left_force
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import IllegalTransition, Rules
from marketplace.models import Membership, Organisation
from marketplace.services import require_operator


@transaction.atomic
def licence_grant_record(
    *, patent: Patent, kind: str, by: User, licensee_name: str, licensee: Organisation | None = None,
    licensor: Organisation | None = None, territory: str = "", field_of_use: str = "",
    term_start: dt.date | None = None, term_end: dt.date | None = None, record_number: str = "",
) -> LicenceGrant:
    """An operator records a licence that exists outside the exchange (e.g. from its CNIPA filing, 备案)."""
    require_operator(by)
    rules = Rules()
    rules.check(kind in LicenceKind.values, "kind", "invalid_choice", f"未知许可类型 / unknown licence kind {kind!r}")
    rules.check(bool((licensee_name or "").strip() or licensee), "licensee_name", "required", "请填写被许可人 / licensee required")
    if term_start and term_end and term_end < term_start:
        rules.add("term_end", "term_end_before_start", "许可期限止日早于起日 / the term ends before it starts")
    rules.raise_if_any()
    return LicenceGrant.objects.create(
        patent=patent, kind=kind, licensee=licensee, licensor=licensor,
        licensee_name=(licensee_name or "").strip() or (licensee.name if licensee is not None else ""), territory=territory,
        field_of_use=field_of_use, term_start=term_start, term_end=term_end, record_number=record_number,
        recorded_by=by,
    )


def _require_system_or_operator(by) -> None:
    if by is not None and not permissions.is_operator(by):
        raise NotPermitted("仅运营人员或系统可以变更法律状态 / only operators or the system may change legal status")


@transaction.atomic
def patent_legal_status_change(*, patent: Patent, status: str, by: User | None, reason: str) -> list[object]:
    """Record a new legal status: the one way a status changes (services, importer, Django admin).

    A patent that leaves force sends ``patent_left_force``: trading suspends its public listings at once and
    tells the organisation and everyone in negotiation. Returns what the subscribers stopped (the listings).
    """
    _require_system_or_operator(by)
    rules = Rules()
    rules.check(status in LegalStatus.values, "status", "invalid_choice", f"未知法律状态 / unknown legal status {status!r}")
    rules.check(bool((reason or "").strip()), "reason", "reason_required", "请填写变更依据 / a reason is required")
    rules.raise_if_any()
    locked = Patent.objects.select_for_update().get(pk=patent.pk)
    if locked.legal_status == status:
        return []
    old = locked.get_legal_status_display()
    locked.legal_status = status
    locked.save(update_fields=["legal_status", "updated_at"])
    patent.legal_status = status
    announce_patents_changed([locked.pk])
    if status in LIVE_STATUSES:
        return []
    why = f"{locked.publication_number} 法律状态由“{old}”变为“{locked.get_legal_status_display()}”：{reason.strip()}"
    responses = patent_left_force.send(sender=Patent, patent=locked, by=by, reason=why)
    return [item for _receiver, stopped in responses for item in (stopped or ())]


@transaction.atomic
def encumbrance_register(
    *, patent: Patent, kind: str, by: User, holder: Organisation | None = None, reference: str = "",
    registered_at: dt.datetime | None = None, note: str = "",
) -> Encumbrance:
    """Register a pledge, preservation or other restriction; the patent's public listings stop at once."""
    if by is not None and not (
        permissions.is_operator(by)
        or (holder is not None and permissions.has_role(by, holder, (Membership.Role.LENDER,)))
    ):
        raise NotPermitted("仅运营人员或质权人可以登记权利负担 / only operators or the pledgee may register this")
    rules = Rules()
    rules.check(kind in EncumbranceKind.values, "kind", "invalid_choice", f"未知权利负担类型 / unknown kind {kind!r}")
    rules.raise_if_any()
    locked = Patent.objects.select_for_update().get(pk=patent.pk)
    encumbrance = Encumbrance.objects.create(
        patent=locked, kind=kind, holder=holder, reference=reference, note=note,
        registered_at=registered_at or timezone.now(), registered_by=by,
    )
    why = f"{locked.publication_number} 已登记{encumbrance.get_kind_display()}" + (f"（{reference}）" if reference else "")
    patent_encumbered.send(sender=Patent, patent=locked, encumbrance=encumbrance, by=by, reason=why)
    return encumbrance


@transaction.atomic
def encumbrance_release(*, encumbrance: Encumbrance, by: User, reason: str = "") -> Encumbrance:
    """Release (注销) a restriction. Suspended listings stay suspended until an operator reinstates
    them; their organisations are told they may ask."""
    encumbrance = Encumbrance.objects.select_for_update(of=("self",)).select_related("patent", "holder").get(pk=encumbrance.pk)
    if by is not None and not (
        permissions.is_operator(by)
        or (encumbrance.holder is not None and permissions.has_role(by, encumbrance.holder, (Membership.Role.LENDER,)))
    ):
        raise NotPermitted("仅运营人员或质权人可以解除权利负担 / only operators or the pledgee may release this")
    if not encumbrance.active:
        raise IllegalTransition("encumbrance", "release", "released")
    encumbrance.active = False
    encumbrance.released_at = timezone.now()
    encumbrance.released_by = by
    if reason:
        encumbrance.note = f"{encumbrance.note}\n{reason}".strip()
    encumbrance.save(update_fields=["active", "released_at", "released_by", "note"])
    encumbrance_released.send(sender=Encumbrance, encumbrance=encumbrance, by=by)
    return encumbrance
