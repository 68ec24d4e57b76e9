"""Telling people things: an in-app row pushed live over Channels, and e-mail when they want it.

Services call ``notify`` after their transaction commits, so nobody is told about a change that
was rolled back.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from marketplace.models import Notification, NotificationPreference
from marketplace.verbs import Verb

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The channel-layer group a user's open pages listen on."""
    return f"user-{user_id}"


def notification_payload(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "verb": notification.verb,
        "title": notification.title,
        "title_en": notification.title_en,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


def _push(notification: Notification) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    unread = Notification.objects.filter(recipient_id=notification.recipient_id, read_at__isnull=True).count()
    try:
        async_to_sync(layer.group_send)(
            user_group(notification.recipient_id),
            {"type": "notification.created", "notification": notification_payload(notification), "unread": unread},
        )
    except Exception:  # the row is the record; a dropped push is shown on the next page load
        logger.exception("could not push notification %s", notification.pk)


def _email(notification: Notification) -> None:
    user = notification.recipient
    if not user.email:
        return
    pref = NotificationPreference.objects.filter(user=user).first()
    if pref is not None and not pref.wants_email(notification.verb):
        return
    body = notification.body
    if notification.url:
        body = f"{body}\n\n{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{notification.url}"
    send_mail(f"[专利展示交易网] {notification.title}", body, settings.DEFAULT_FROM_EMAIL, [user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def _titles(title: str | Promise) -> tuple[str, str]:
    """``(Chinese, English)`` for a title: a lazy (translatable) one is rendered in both languages;
    a plain string is taken as Chinese only."""
    if isinstance(title, Promise):
        with translation.override("zh-hans"):
            zh = str(title)
        with translation.override("en"):
            en = str(title)
        return zh[:300], en[:300]
    return str(title)[:300], ""


def notify(
    *, users: Iterable, verb: Verb, title: str | Promise, body: str = "", url: str = "", key: str = "",
) -> list[Notification]:
    """Record a notification for each user and, once committed, push it live and e-mail it.

    ``title`` may be a plain string (stored as the Chinese title) or a lazy translatable string
    (``format_lazy(gettext_lazy(...), ...)``), stored rendered in Chinese and in English.

    ``key`` names what the news is about (``demand.matches:12:301,302``). A user who already holds a
    notification with that key is not told again, and is not pushed or e-mailed: a task that runs twice (a
    message redelivered after its worker was killed) tells each person once. The unique constraint
    ``notification_dedup`` settles two runs racing each other.
    """
    verb = Verb(verb)  # an unknown kind is a programming error: ValueError before anything is written
    title_zh, title_en = _titles(title)
    key = key[:200]
    seen: set[int] = set()
    created: list[Notification] = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        values = {"verb": verb, "title": title_zh, "title_en": title_en, "body": body, "url": url}
        if not key:
            created.append(Notification.objects.create(recipient=user, **values))
            continue
        try:
            with transaction.atomic():  # a savepoint: losing the race leaves the caller's transaction usable
                notification, fresh = Notification.objects.get_or_create(recipient=user, dedup_key=key, defaults=values)
        except IntegrityError:  # another run stored it between our look and our insert
            continue
        if fresh:
            created.append(notification)

    def deliver():
        for notification in created:
            _push(notification)
            _email(notification)

    transaction.on_commit(deliver)
    return created
