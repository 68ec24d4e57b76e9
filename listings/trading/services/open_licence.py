"""Open licences (开放许可, Patent Law art. 50–51): published terms any verified organisation may take."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import Encumbrance, LicenceGrant, LicenceKind
from listings.trading.models import DealType, Listing, ListingTransition
from listings.trading.models import ListingStatus as S
from listings.trading.services.lifecycle import lock_listing, tell_owner
from marketplace import permissions
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken, Rules
from marketplace.models import Organisation
from marketplace.notifications import notify, text
from marketplace.services import NotPermitted, organisation_members
from marketplace.verbs import Verb


@transaction.atomic
def open_licence_take(*, listing: Listing, organisation: Organisation, by: User) -> list[LicenceGrant]:
    """A verified organisation notifies the patentee and takes a non-exclusive licence on the published
    terms (Patent Law art. 51); the listing stays published for the next taker."""
    locked = lock_listing(listing)
    if locked.deal_type != DealType.OPEN_LICENCE:
        raise RuleBroken([("deal_type", "not_open_licence", "该挂牌不是开放许可 / this listing is not an open licence")])
    if locked.status != S.PUBLISHED:
        raise IllegalTransition("listing", "open_licence_take", locked.status)
    if not permissions.is_member(by, organisation):
        raise NotPermitted(f"您不代表“{organisation}” / you do not act for {organisation}")
    rules = Rules()
    rules.check(
        organisation.is_verified, "organisation", "organisation_not_verified",
        f"机构“{organisation}”尚未通过认证 / the organisation is not verified",
    )
    rules.check(
        organisation.pk != locked.organisation_id, "organisation", "licensee_is_patentee",
        "权利人不能实施自己的开放许可 / the patentee cannot take its own open licence",
    )
    rules.check(
        not LicenceGrant.objects.filter(listing=locked, licensee=organisation, active=True).exists(),
        "organisation", "open_licence_already_taken", "贵机构已取得该开放许可 / you already hold this open licence",
    )
    patents = list(locked.patents.all())
    today = timezone.localdate()
    encumbered = set(Encumbrance.objects.filter(patent__in=patents, active=True).values_list("patent_id", flat=True))
    for patent in patents:
        rules.check(patent.in_force_on(today), "patents", "patent_not_in_force",
                    f"{patent.publication_number} 不在有效状态 / not in force")
        rules.check(patent.pk not in encumbered, "patents", "patent_encumbered",
                    f"{patent.publication_number} 存在权利限制 / encumbered")
    rules.raise_if_any()
    grants = [
        LicenceGrant.objects.create(
            patent=patent, listing=locked, kind=LicenceKind.NON_EXCLUSIVE, licensor=locked.organisation,
            licensee=organisation, licensee_name=organisation.name, territory=locked.territory,
            field_of_use=locked.field_of_use, term_start=locked.term_start, term_end=locked.term_end,
            is_open_licence=True, recorded_by=by,
        )
        for patent in patents
    ]
    ListingTransition.objects.create(
        listing=locked, action="open_licence_taken", from_status=locked.status, to_status=locked.status, by=by,
        reason=f"{organisation.name} 实施开放许可",
    )
    tell_owner(locked, Verb.OPEN_LICENCE_TAKEN, text(_("“{organisation}”已实施开放许可“{title}”"), organisation=organisation, title=locked.title))
    notify(users=organisation_members(organisation), verb=Verb.OPEN_LICENCE_TAKEN, title=text(_("您已取得开放许可“{title}”"), title=locked.title),
           url=locked.get_absolute_url())
    return grants
