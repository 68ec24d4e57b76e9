"""The operator console's review queue, built from each domain's own ``pending_review()`` selector.

Domains register a section (in their ``AppConfig.ready``); marketplace never imports them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, Subquery

from marketplace.models import Organisation, OrganisationReview


@dataclass(frozen=True)
class ReviewSection:
    """One kind of thing waiting for an operator: ``pending()`` lists it oldest first, ``serialize`` shapes it
    for the API, and ``counts`` says whether it counts towards the queue's total (suspended listings do not).
    A section with a ``template`` is drawn by the review page itself: the page includes that template with the
    section's ``key``, ``items`` and their ``rows`` (``serialize`` applied), so a domain adds a panel without the
    page knowing it."""

    key: str
    pending: Callable[[], Sequence[Any]]
    serialize: Callable[[Sequence[Any], Any], list[Any]]
    counts: bool = True
    template: str = ""


_SECTIONS: dict[str, ReviewSection] = {}


def register_review_section(section: ReviewSection) -> None:
    _SECTIONS[section.key] = section


class ReviewQueue(dict[str, list[Any]]):
    """Section key → its pending items; templates read ``queue.listings``, ``queue.total``."""

    counted: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(len(self[key]) for key in self.counted)

    @property
    def panels(self) -> list[dict[str, Any]]:
        """The sections that bring their own template, in registration order, ready to include."""
        return [{"key": key, "template": section.template, "items": self[key],
                 "rows": section.serialize(self[key], None)}
                for key, section in _SECTIONS.items() if section.template and key in self]


def review_queue() -> ReviewQueue:
    """What waits for an operator, section by section, oldest first."""
    queue = ReviewQueue({key: list(section.pending()) for key, section in _SECTIONS.items()})
    queue.counted = tuple(key for key, section in _SECTIONS.items() if section.counts)
    return queue


def review_queue_data(queue: ReviewQueue, request: Any) -> dict[str, list[Any]]:
    return {key: _SECTIONS[key].serialize(items, request) for key, items in queue.items()}


def organisations_pending_review() -> list[Organisation]:
    """Organisations that registered and wait for verification (or lost it and may be looked at again)."""
    return list(
        Organisation.objects.filter(is_verified=False, memberships__isnull=False)
        .annotate(last_decision=Subquery(
            OrganisationReview.objects.filter(organisation=OuterRef("pk")).order_by("-created_at", "-pk")
            .values("decision")[:1]
        ))
        .filter(Q(last_decision__isnull=True) | Q(last_decision=OrganisationReview.Decision.REVOKED))
        .prefetch_related("memberships__user")
        .distinct().order_by("created_at")
    )


register_review_section(ReviewSection(
    "organisations", organisations_pending_review,
    lambda items, request: [{"id": o.pk, "name": o.name, "uscc": o.uscc, "kind": o.kind} for o in items],
))
