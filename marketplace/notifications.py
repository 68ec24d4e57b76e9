"""Telling people things: an in-app row pushed live over Channels, and e-mail when they want it.

``notify`` writes the rows in the caller's transaction; the live push and the e-mail leave only once it commits,
so nobody is told about a change that was rolled back. The e-mail is a task owed in the task outbox
(``marketplace.outbox``), written in that same transaction: a worker that dies after the commit cannot lose it,
and ``notification_email_send`` marks each notification e-mailed in the transaction of its send, so running the
task again sends nothing twice. (The push is not a task: a lost one is shown by the bell on the next page.)
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
from marketplace.outbox import task_enqueue_on_commit
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


def notification_email_send(notification_id: int) -> bool:
    """E-mail one notification to its recipient, unless it was e-mailed already or they do not want it; True when sent.

    Idempotent: ``emailed_at`` is set by a compare-and-set in the same transaction as the send, so the row stays
    locked until the send commits. A second run of the task (the outbox publishing it again after a lost worker,
    or past its lease while the first still runs) waits for that commit and then finds it e-mailed; a send that
    raises rolls the mark back, so a later run tries again.
    """
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return False
    user = notification.recipient
    if not user.email:
        return False
    pref = NotificationPreference.objects.filter(user=user).first()
    if pref is not None and not pref.wants_email(notification.verb):
        return False
    with transaction.atomic():
        if not Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            return False  # another run sent it meanwhile
        subject, body = notification_email(notification)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def notify(
    *, users: Iterable, verb: Verb, title: Text | str | Promise, body: Text | Joined | str | Promise = "",
    url: str = "", key: str = "", by: User | None = None,
) -> list[Notification]:
    """Record a notification for each user and, once committed, push it live and e-mail it (the e-mail through the
    task outbox: owed from this transaction, e-mailed once however often the task runs).

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

    def push():
        for notification in created:
            _push(notification)

    transaction.on_commit(push)
    to_email = [n.pk for n in created if n.recipient.email and (actor_id is None or n.recipient_id != actor_id)]
    if to_email:
        from marketplace.tasks import send_notification_emails

        task_enqueue_on_commit(task=send_notification_emails, args=[to_email])
    return created
