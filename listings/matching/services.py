"""Matching in both directions, and saved-search alerts.

Demand and listing services call the two ``*_on_commit`` hooks; the work runs in Celery tasks
(``listings.matching.tasks``) once the triggering transaction has committed, so the worker reads what was
written; they go through the task outbox (``marketplace.outbox``), so a lost worker loses none of them. Storing matches, announcing new ones and running saved searches are the writes here;
``listings.matching.scorer`` scores, ``listings.matching.selectors`` reads.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand, DemandStatus
from listings.matching import presentation, semantics
from listings.matching.candidates import match, score_patents, with_predicted_fields
from listings.matching.models import AlertFrequency, DemandMatch, MatchSource, SavedSearch, SavedSearchScope
from listings.matching.scorer import MATCH_THRESHOLD, DemandQuery, MatchResult
from listings.trading.models import Listing
from marketplace.kernel.errors import TooSoon
from marketplace.kernel.limits import MATCH_REFRESH_INTERVAL_SECONDS, SAVED_SEARCHES_PER_USER
from marketplace.models import Membership
from marketplace.notifications import Joined, Text, notify, text
from marketplace.outbox import task_enqueue_on_commit
from marketplace.verbs import Verb

logger = logging.getLogger(__name__)

#: how many matches are stored per demand
MATCH_LIMIT = 20
#: a match is announced only when it reaches this score: the scorer's one calibrated threshold, both paths
NOTIFY_THRESHOLD = MATCH_THRESHOLD
#: at most this many new matches are listed in one notification
NOTIFY_TOP = 5
#: demand states whose matches are kept fresh (drafts get matches to preview, but nobody is told)
MATCHABLE_STATUSES = (
    DemandStatus.DRAFT,
    DemandStatus.SUBMITTED,
    DemandStatus.IN_REVIEW,
    DemandStatus.REJECTED,
    DemandStatus.PUBLISHED,
)
#: how many seen ids a saved search remembers
SEEN_CAP = 2000
#: hits looked at per saved-search run
ALERT_WINDOW = 100
ALERT_INTERVALS: dict[str, timedelta] = {
    AlertFrequency.HOURLY: timedelta(hours=1),
    AlertFrequency.DAILY: timedelta(days=1),
    AlertFrequency.WEEKLY: timedelta(days=7),
}


# --------------------------------------------------------------------------------------------
# Subscribers to the demand and listing signals (connected in ``ListingsConfig.ready``)
# --------------------------------------------------------------------------------------------
def on_demand_changed(sender: object, *, demand: Demand, **kwargs: object) -> None:
    demand_matches_refresh_on_commit(demand=demand)


def on_listing_published(sender: object, *, listing: Listing, **kwargs: object) -> None:
    listing_published_on_commit(listing=listing)


def demand_matches_refresh_on_commit(*, demand: Demand) -> None:
    """Queue ``compute_demand_matches`` for a demand just published or edited."""
    from listings.matching.tasks import compute_demand_matches

    task_enqueue_on_commit(task=compute_demand_matches, args=[demand.pk])


def demand_matches_refresh_request(*, demand: Demand, by: User) -> None:
    """A person asks to recompute a demand's matches (the caller has checked they manage it or operate): at most once
    per ``MATCH_REFRESH_INTERVAL_SECONDS`` per demand, whoever asks, since each run scores every listing."""
    if not cache.add(f"match-refresh:{demand.pk}", by.pk, timeout=MATCH_REFRESH_INTERVAL_SECONDS):
        raise TooSoon(
            "demand", message=f"匹配刚刚重新计算过，请 {MATCH_REFRESH_INTERVAL_SECONDS} 秒后再试 / "
            f"matches were just refreshed; try again in {MATCH_REFRESH_INTERVAL_SECONDS} seconds",
        )
    demand_matches_refresh_on_commit(demand=demand)


def listing_published_on_commit(*, listing: Listing) -> None:
    """Queue ``notify_demands_for_listing`` for a listing just published."""
    from listings.matching.tasks import notify_demands_for_listing

    task_enqueue_on_commit(task=notify_demands_for_listing, args=[listing.pk])


# --------------------------------------------------------------------------------------------
# Demand → matches
# --------------------------------------------------------------------------------------------
def _demand_recipients(demand: Demand):
    """Who hears about a demand's matches: its organisation's members acting in a demand role."""
    from django.contrib.auth import get_user_model

    user_ids = Membership.objects.filter(
        organisation_id=demand.organisation_id, role__in=demand_permissions.DEMAND_ROLES
    ).values("user_id")
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def _match_row_values(result: MatchResult, *, rank: int, now, source: str) -> dict:
    return {
        "listing_id": result.listing_id,
        "score": result.score,
        "rank": rank,
        "explanation": result.explanation,
        "computed_at": now,
        "is_current": True,
        "source": source,
    }


@transaction.atomic
def demand_matches_store(*, demand: Demand, results: Sequence[MatchResult]) -> list[DemandMatch]:
    """Replace the demand's current matches with ``results``; returns the rows never announced before.

    Rows that drop out are kept with ``is_current=False`` (and their ``notified_at``), so a patent that
    comes back later is not announced a second time.
    """
    Demand.objects.select_for_update().filter(pk=demand.pk).first()
    now = timezone.now()
    existing = {row.patent_id: row for row in DemandMatch.objects.filter(demand=demand)}
    kept: set[int] = set()
    fresh: list[DemandMatch] = []
    for rank, result in enumerate(results, start=1):
        values = _match_row_values(result, rank=rank, now=now, source=MatchSource.DEMAND)
        row = existing.get(result.patent_id)
        if row is None:
            row = DemandMatch.objects.create(demand=demand, patent_id=result.patent_id, **values)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
        kept.add(result.patent_id)
        if row.notified_at is None:
            fresh.append(row)
    DemandMatch.objects.filter(demand=demand, is_current=True).exclude(patent_id__in=kept).update(is_current=False)
    return fresh


def _announce(*, demand: Demand, rows: Sequence[DemandMatch], verb: Verb, title: Text, about: str = "") -> int:
    """Tell the demand's people about ``rows`` (score at or over the threshold) and mark them announced.

    The notification's dedup key names the demand, the patents (and ``about``: the listing), so a task run twice
    (redelivered after a lost worker) tells nobody twice even if ``notified_at`` was not yet written."""
    worth = [row for row in rows if row.score >= NOTIFY_THRESHOLD][:NOTIFY_TOP]
    if not worth or demand.status != DemandStatus.PUBLISHED:
        return 0
    recipients = _demand_recipients(demand)
    lines = [
        text(gettext_lazy("· {number} {title}（匹配度 {score:.2f}；{share}）"), number=row.patent.publication_number,
             title=row.patent.title, score=row.score, share=presentation.share_summary_text(row.explanation))
        for row in worth
    ]
    if recipients:
        notify(
            users=recipients,
            verb=verb,
            title=title,
            body=Joined(lines),
            url=reverse("matching:demand-matches", args=[demand.pk]),
            key=f"{Verb(verb).value}:{demand.pk}:{about}:" + ",".join(str(row.patent_id) for row in worth),
        )
    DemandMatch.objects.filter(pk__in=[row.pk for row in worth]).update(notified_at=timezone.now())
    return len(worth)


def demand_matches_compute(*, demand: Demand, backend=None) -> list[DemandMatch]:
    """Match the demand, store the ranking, and announce the new top matches of a published demand."""
    if demand.status not in MATCHABLE_STATUSES:
        DemandMatch.objects.filter(demand=demand, is_current=True).update(is_current=False)
        return []
    results = match(DemandQuery.from_demand(demand), limit=MATCH_LIMIT, backend=backend)
    fresh = demand_matches_store(demand=demand, results=results)
    with transaction.atomic():
        _announce(
            demand=demand,
            rows=fresh,
            verb=Verb.DEMAND_MATCHES,
            title=text(gettext_lazy("您的需求“{demand}”有新的匹配专利"), demand=demand.title),
        )
    return fresh


# --------------------------------------------------------------------------------------------
# Listing → demands
# --------------------------------------------------------------------------------------------
def listing_matching_demands(*, listing: Listing) -> list[tuple[Demand, MatchResult]]:
    """Published demands (of other organisations) for which one of the listing's patents scores at
    least ``NOTIFY_THRESHOLD`` through this listing, with that match.

    The listing's patents are scored against each demand by the same scorer as the demand → patent path
    (``score_patents``): every part is absolute, so the patent scores here what it would score there."""
    patent_ids = list(listing.patents.values_list("pk", flat=True))
    if not patent_ids or not listing.is_public:
        return []
    model = semantics.load()
    found = []
    demands = (
        Demand.objects.filter(status=DemandStatus.PUBLISHED)
        .exclude(organisation_id=listing.organisation_id)
        .prefetch_related("industries", "zones")
        .order_by("pk")
    )
    for demand in demands:
        query = with_predicted_fields(DemandQuery.from_demand(demand))
        results = score_patents(query, patent_ids, model=model, min_score=NOTIFY_THRESHOLD)
        mine = [r for r in results if r.listing_id == listing.pk]
        if mine:
            found.append((demand, mine[0]))
    return found


def listing_demands_notify(*, listing: Listing) -> list[Demand]:
    """Store the listing's match on each demand it fits and tell each demand's people once."""
    told = []
    for demand, result in listing_matching_demands(listing=listing):
        with transaction.atomic():
            Demand.objects.select_for_update().filter(pk=demand.pk).first()
            row = DemandMatch.objects.filter(demand=demand, patent_id=result.patent_id).first()
            now = timezone.now()
            values = _match_row_values(result, rank=row.rank if row else 0, now=now, source=MatchSource.LISTING)
            if row is None:
                row = DemandMatch.objects.create(demand=demand, patent_id=result.patent_id, **values)
            elif row.listing_id != listing.pk or not row.is_current:
                # the patent was matched before without this listing: the offer itself is the news
                values["rank"] = row.rank
                for name, value in values.items():
                    setattr(row, name, value)
                row.notified_at = None
                row.save()
            if row.notified_at is not None:
                continue
            if _announce(
                demand=demand,
                rows=[row],
                verb=Verb.DEMAND_LISTING_MATCH,
                title=text(gettext_lazy("新挂牌“{listing}”匹配您的需求“{demand}”"), listing=listing.title, demand=demand.title),
                about=f"listing-{listing.pk}",
            ):
                told.append(demand)
    return told


# --------------------------------------------------------------------------------------------
# Saved searches
# --------------------------------------------------------------------------------------------
DUPLICATE_NAME = "已有同名的保存检索 / you already have a saved search with this name"


class SavedSearchError(ValueError):
    """A saved search that cannot be stored; ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _saved_search_hits(saved: SavedSearch) -> list[tuple[int, str, str]]:
    from listings.matching.selectors import saved_search_hits

    return saved_search_hits(scope=saved.scope, params=saved.params, limit=ALERT_WINDOW)


def _clean_params(scope: str, params: dict) -> dict:
    from listings.matching.selectors import SAVED_SEARCH_PARAMS

    allowed = SAVED_SEARCH_PARAMS[scope]
    return {key: str(value).strip()[:200] for key, value in (params or {}).items()
            if key in allowed and str(value).strip()}


@transaction.atomic
def saved_search_create(*, user, name: str, scope: str, params: dict, frequency: str = AlertFrequency.DAILY) -> SavedSearch:
    """Save a query; what it finds today counts as seen, so alerts only bring what is new."""
    name = (name or "").strip()
    if not name:
        raise SavedSearchError("name", "请填写名称 / a name is required")
    if scope not in SavedSearchScope.values:
        raise SavedSearchError("scope", f"未知范围 / unknown scope {scope!r}")
    if frequency not in AlertFrequency.values:
        raise SavedSearchError("frequency", f"未知频率 / unknown frequency {frequency!r}")
    if SavedSearch.objects.filter(user=user, name=name[:100]).exists():
        raise SavedSearchError("name", DUPLICATE_NAME)
    if SavedSearch.objects.filter(user=user).count() >= SAVED_SEARCHES_PER_USER:
        raise SavedSearchError(
            "name", f"最多保存 {SAVED_SEARCHES_PER_USER} 个检索，请先删除不用的 / at most {SAVED_SEARCHES_PER_USER} saved searches",
        )
    saved = SavedSearch(user=user, name=name[:100], scope=scope, params=_clean_params(scope, params), frequency=frequency)
    saved.seen_ids = [hit_id for hit_id, _, _ in _saved_search_hits(saved)]
    saved.last_run_at = timezone.now()
    try:
        with transaction.atomic():  # a parallel request with the same name wins the unique constraint: a 400, not a 500
            saved.save()
    except IntegrityError:
        raise SavedSearchError("name", DUPLICATE_NAME) from None
    return saved


@transaction.atomic
def saved_search_update(*, saved_search: SavedSearch, by, frequency: str) -> SavedSearch:
    if saved_search.user_id != by.pk:
        raise SavedSearch.DoesNotExist
    if frequency not in AlertFrequency.values:
        raise SavedSearchError("frequency", f"未知频率 / unknown frequency {frequency!r}")
    saved_search.frequency = frequency
    saved_search.save(update_fields=["frequency"])
    return saved_search


@transaction.atomic
def saved_search_delete(*, saved_search: SavedSearch, by) -> None:
    """Only its owner deletes a saved search (others get DoesNotExist, as if it were not there)."""
    if saved_search.user_id != by.pk:
        raise SavedSearch.DoesNotExist
    saved_search.delete()


def saved_search_is_due(saved: SavedSearch, *, now) -> bool:
    interval = ALERT_INTERVALS.get(saved.frequency)
    if interval is None:
        return False
    return saved.last_run_at is None or now - saved.last_run_at >= interval - timedelta(minutes=5)


def saved_search_alert(*, saved_search: SavedSearch, now=None) -> list[int]:
    """Run one saved search; notify its owner once about hits not seen before. Returns the new ids."""
    now = now or timezone.now()
    hits = _saved_search_hits(saved_search)
    with transaction.atomic():
        saved = SavedSearch.objects.select_for_update().get(pk=saved_search.pk)
        seen = set(saved.seen_ids or [])
        new = [(hit_id, label, url) for hit_id, label, url in hits if hit_id not in seen]
        saved.last_run_at = now
        if new:
            kept = [hit_id for hit_id in saved.seen_ids if hit_id not in {h for h, _, _ in new}]
            saved.seen_ids = (kept + [hit_id for hit_id, _, _ in new])[-SEEN_CAP:]
            saved.last_alerted_at = now
            what = gettext_lazy("专利") if saved.scope == SavedSearchScope.PATENTS else gettext_lazy("挂牌")
            notify(
                users=[saved.user],
                verb=Verb.SAVED_SEARCH_ALERT,
                title=text(gettext_lazy("保存的检索“{name}”有 {count} 条新{what}"), name=saved.name, count=len(new), what=what),
                body="\n".join(f"· {label}" for _, label, _ in new[:20]),
                url=new[0][2] if len(new) == 1 else reverse("matching:saved-search-list"),
                key=f"{Verb.SAVED_SEARCH_ALERT.value}:{saved.pk}:" + ",".join(str(hit_id) for hit_id, _, _ in new[:50]),
            )
        saved.save(update_fields=["seen_ids", "last_run_at", "last_alerted_at"])
    return [hit_id for hit_id, _, _ in new]


def saved_search_alerts_run(*, now=None) -> dict[int, list[int]]:
    """Every due saved search, once: {saved search id: new hit ids}."""
    now = now or timezone.now()
    report = {}
    for saved in SavedSearch.objects.exclude(frequency=AlertFrequency.NEVER).select_related("user").order_by("pk"):
        if not saved.user.is_active or not saved_search_is_due(saved, now=now):
            continue
        try:
            report[saved.pk] = saved_search_alert(saved_search=saved, now=now)
        except Exception:  # one broken query must not stop everyone else's alerts
            logger.exception("saved search %s failed", saved.pk)
    return report
