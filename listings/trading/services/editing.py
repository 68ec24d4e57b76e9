"""Creating and editing listings: terms and patents checked against the trading rules before anything is saved."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from listings.catalogue.models import LicenceKind, Patent
from listings.trading import permissions as listing_permissions
from listings.trading.models import DealType, Listing, ListingPatent, ListingTransition
from listings.trading.services.lifecycle import S, lock_listing, sync
from listings.trading.services.rules import Terms, check_patents, check_terms
from marketplace import permissions
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken, Rules
from marketplace.models import Organisation
from marketplace.services import NotPermitted


def _terms_from(
    *, title, description, deal_type, licence_kind, territory, field_of_use, term_start, term_end,
    sublicensing_allowed, price, royalty_rate_bps, expires_on,
) -> Terms:
    if price is not None and not isinstance(price, Money):
        raise RuleBroken([("price_amount", "price_not_money", "价格须为金额（Money）/ the price must be Money")])
    is_licence = deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE)
    if deal_type == DealType.OPEN_LICENCE and not licence_kind:
        licence_kind = LicenceKind.NON_EXCLUSIVE
    return Terms(
        title=(title or "").strip(), description=description or "", deal_type=deal_type,
        licence_kind=licence_kind or "",
        territory=(territory or "").strip() if is_licence else "",
        field_of_use=(field_of_use or "").strip() if is_licence else "",
        term_start=term_start if is_licence else None, term_end=term_end if is_licence else None,
        sublicensing_allowed=bool(sublicensing_allowed) if is_licence else False,
        price_amount=None if price is None else price.amount,
        price_currency="CNY" if price is None else price.currency,
        royalty_rate_bps=royalty_rate_bps, expires_on=expires_on,
    )


def listing_violations(
    *, patents: Sequence[Patent] | None, exclude_listing: int | None = None, title: str = "", description: str = "",
    deal_type: str = DealType.ASSIGNMENT, licence_kind: str = "", territory: str = "", field_of_use: str = "",
    term_start: dt.date | None = None, term_end: dt.date | None = None, sublicensing_allowed: bool = False,
    price: Money | None = None, royalty_rate_bps: int | None = None, expires_on: dt.date | None = None,
) -> list[tuple[str, str, str]]:
    """The terms and patent rules ``listing_create`` and ``listing_update`` apply, checked without writing: the listing
    form shows them with its own field errors, so a first submit reports every problem. ``patents=None`` (the numbers
    did not resolve) skips the patent rules."""
    today = timezone.localdate()
    try:
        t = _terms_from(
            title=title, description=description, deal_type=deal_type, licence_kind=licence_kind, territory=territory,
            field_of_use=field_of_use, term_start=term_start, term_end=term_end,
            sublicensing_allowed=sublicensing_allowed, price=price, royalty_rate_bps=royalty_rate_bps,
            expires_on=expires_on,
        )
    except RuleBroken as exc:
        return list(exc.violations)
    rules = Rules()
    check_terms(rules, t, today=today)
    if patents is not None:
        check_patents(rules, t, list(patents), exclude_listing=exclude_listing, today=today)
    return rules.violations


def _created_with(token: uuid.UUID, by: User) -> Listing | None:
    """The listing this form token already created; someone else's token is refused, never shown."""
    earlier = Listing.objects.filter(submission_token=token).first()
    if earlier is not None and earlier.created_by_id != by.pk:
        raise RuleBroken([("submission_token", "token_used", "此表单已提交过，请刷新页面后重试 / this form was already used: reload the page")])
    return earlier


@transaction.atomic
def listing_create(
    *,
    organisation: Organisation,
    by: User,
    title: str,
    patents: Sequence[Patent],
    deal_type: str,
    description: str = "",
    licence_kind: str = "",
    territory: str = "",
    field_of_use: str = "",
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    sublicensing_allowed: bool = False,
    price: Money | None = None,
    royalty_rate_bps: int | None = None,
    expires_on: dt.date | None = None,
    submission_token: uuid.UUID | None = None,
) -> Listing:
    """A draft listing. Terms and rights are checked now; ownership is checked when it is submitted,
    so that a non-patentee can first create the draft and then upload the authorisation. ``submission_token`` (the
    form's one-time token) makes creation idempotent: the same form submitted again returns the listing it created."""
    if not permissions.has_role(by, organisation, listing_permissions.LISTING_ROLES):
        raise NotPermitted(f"您不是“{organisation}”的权利人或经纪人 / you do not list for {organisation}")
    if submission_token is not None:
        earlier = _created_with(submission_token, by)
        if earlier is not None:
            return earlier
    today = timezone.localdate()
    t = _terms_from(
        title=title, description=description, deal_type=deal_type, licence_kind=licence_kind, territory=territory,
        field_of_use=field_of_use, term_start=term_start, term_end=term_end,
        sublicensing_allowed=sublicensing_allowed, price=price, royalty_rate_bps=royalty_rate_bps,
        expires_on=expires_on,
    )
    patents = list(patents)
    rules = Rules()
    check_terms(rules, t, today=today)
    check_patents(rules, t, patents, exclude_listing=None, today=today)
    rules.raise_if_any()
    try:
        with transaction.atomic():  # a savepoint: the same form submitted in parallel may have won the race
            listing = Listing.objects.create(
                organisation=organisation, created_by=by, submission_token=submission_token,
                **{name: getattr(t, name) for name in Terms.FIELDS},
            )
    except IntegrityError:
        earlier = _created_with(submission_token, by) if submission_token is not None else None
        if earlier is None:
            raise
        return earlier
    ListingPatent.objects.bulk_create(
        [ListingPatent(listing=listing, patent=p, position=i) for i, p in enumerate(patents)]
    )
    ListingTransition.objects.create(
        listing=listing, action="create", from_status=S.DRAFT, to_status=S.DRAFT, by=by, reason=""
    )
    return listing


@transaction.atomic
def listing_update(*, listing: Listing, by: User, patents: Sequence[Patent] | None = None, **changes) -> Listing:
    """Change a draft (or a listing sent back by the reviewer). ``changes`` are the keyword arguments
    of ``listing_create`` except ``organisation``; ``price=None`` means negotiable."""
    locked = lock_listing(listing)
    if not listing_permissions.can_manage_listing(by, locked):
        raise NotPermitted("您无权修改此挂牌 / you may not edit this listing")
    if not locked.is_editable:
        raise IllegalTransition("listing", "edit", locked.status)
    allowed = {
        "title", "description", "deal_type", "licence_kind", "territory", "field_of_use", "term_start", "term_end",
        "sublicensing_allowed", "price", "royalty_rate_bps", "expires_on",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"listing_update got unexpected fields {sorted(unknown)}")
    current = {name: getattr(locked, name) for name in allowed - {"price"}}
    current["price"] = locked.price
    current.update(changes)
    t = _terms_from(**current)
    new_patents = list(patents) if patents is not None else list(locked.patents.all())
    today = timezone.localdate()
    rules = Rules()
    check_terms(rules, t, today=today)
    check_patents(rules, t, new_patents, exclude_listing=locked.pk, today=today)
    rules.raise_if_any()
    for name in Terms.FIELDS:
        setattr(locked, name, getattr(t, name))
    locked.save()
    if patents is not None:
        locked.listing_patents.all().delete()
        ListingPatent.objects.bulk_create(
            [ListingPatent(listing=locked, patent=p, position=i) for i, p in enumerate(new_patents)]
        )
    ListingTransition.objects.create(
        listing=locked, action="edit", from_status=locked.status, to_status=locked.status, by=by, reason=""
    )
    return sync(listing, locked)
