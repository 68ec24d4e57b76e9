"""Telling people things: an in-app row pushed live over Channels, and e-mail when they want it.

Services call ``notify`` after their transaction commits, so nobody is told about a change that
was rolled back.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from marketplace.inbox import language_of
from marketplace.models import Notification, NotificationPreference
from marketplace.site_url import absolute_url, current_site
from marketplace.texts import Joined, Text, render, stored, text
from marketplace.verbs import Verb

__all__ = ["Joined", "Text", "notify", "text"]

logger = logging.getLogger(__name__)

#: who is acting in this request (set by ``ActingUserMiddleware``): a notification about their own action is not
#: e-mailed to them, whichever service sent it
acting_user: ContextVar[object | None] = ContextVar("acting_user", default=None)


def _acting_user_id() -> int | None:
    request = acting_user.get()
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def user_group(user_id: int) -> str:
    """The channel-layer group a user's open pages listen on."""
    return f"user-{user_id}"


def notification_payload(notification: Notification) -> dict:
    """What the bell shows: the title and body in both languages (the page picks its own)."""
    return {
        "id": notification.pk,
        "verb": notification.verb,
        "title": _in(notification, "display_title", "zh-hans"),
        "title_en": _in(notification, "display_title", "en"),
        "body": _in(notification, "display_body", "zh-hans"),
        "body_en": _in(notification, "display_body", "en"),
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


def _in(notification: Notification, attribute: str, language: str) -> str:
    with translation.override(language):
        return getattr(notification, attribute)


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


def notification_email(notification: Notification) -> tuple[str, str]:
    """``(subject, body)`` of the e-mail for a notification, in the recipient's stored language: what happened
    (the title), the details (the body), what to do next and the link, built from ``settings.SITE_URL``."""
    with translation.override(language_of(notification.recipient)):
        site = current_site().name
        lines = [gettext("您好，"), "", notification.display_title]
        if notification.display_body:
            lines += ["", notification.display_body]
        if notification.url:
            lines += ["", gettext("查看详情并处理："), absolute_url(notification.url)]
        lines += [
            "",
            gettext("您可以在“我的通知”中查看全部通知，或在通知偏好中关闭这类邮件："),
            absolute_url(reverse("notifications:preferences")),
            "",
            f"— {site} · {absolute_url('/')}",
        ]
        return f"[{site}] {notification.display_title}", "\n".join(lines)


def _email(notification: Notification) -> None:
    user = notification.recipient
    if not user.email:
        return
    pref = NotificationPreference.objects.filter(user=user).first()
    if pref is not None and not pref.wants_email(notification.verb):
        return
    subject, body = notification_email(notification)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def notify(
    *, users: Iterable, verb: Verb, title: Text | str | Promise, body: Text | Joined | str | Promise = "",
    url: str = "", key: str = "", by: User | None = None,
) -> list[Notification]:
    """Record a notification for each user and, once committed, push it live and e-mail it.

    ``title`` and ``body`` are stored as codes and parameters (``text(_("挂牌“{title}”已发布"), title=…)``,
    marketplace/texts.py) and rendered in each reader's language; a plain string (a reason someone typed) is
    kept as written. ``by`` is who acted: they see the notification in the app but are not e-mailed about
    their own action.

    ``key`` names what the news is about (``demand.matches:12:301,302``). A user who already holds a
    notification with that key is not told again, and is not pushed or e-mailed: a task that runs twice (a
    message redelivered after its worker was killed) tells each person once. The unique constraint
    ``notification_dedup`` settles two runs racing each other.
    """
    verb = Verb(verb)  # an unknown kind is a programming error: ValueError before anything is written
    actor_id = by.pk if by is not None else _acting_user_id()
    title_stored, body_stored = stored(title), stored(body)
    with translation.override(settings.LANGUAGE_CODE):
        title_zh, body_zh = render(title_stored)[:300], render(body_stored)
    key = key[:200]
    seen: set[int] = set()
    created: list[Notification] = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        values = {"verb": verb, "title_text": title_stored, "body_text": body_stored, "title": title_zh,
                  "body": body_zh, "url": url}
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
            if actor_id is None or notification.recipient_id != actor_id:
                _email(notification)

    transaction.on_commit(deliver)
    return created
