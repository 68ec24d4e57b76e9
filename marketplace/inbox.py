"""A user's notifications: what the bell, the notification pages, the API and the WebSocket consumer
read and change. Every change is checked against the object's owner here, once, for all of them:
someone else's notification behaves exactly like one that does not exist."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from marketplace.models import Notification, NotificationPreference
from marketplace.verbs import Verb

#: every notification kind a user may mute for e-mail, with its label (the ``Verb`` registry)
VERB_LABELS: dict[str, str | Promise] = dict(Verb.choices)


class InboxError(ValueError):
    """Bad input to an inbox service; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# reads ------------------------------------------------------------------------------------------
def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preference_for(*, user: User) -> NotificationPreference:
    """The user's preference (defaults when never saved; not stored until changed)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def stored_language(user: User | None) -> str | None:
    """The language the user chose (with the switch, or the one they signed up in), or ``None``."""
    if user is None or not getattr(user, "pk", None):
        return None
    language = NotificationPreference.objects.filter(user=user).values_list("language", flat=True).first()
    return language if language in dict(settings.LANGUAGES) else None


def language_of(user: User | None) -> str:
    """The language a user reads in: the one they chose, else Chinese."""
    return stored_language(user) or settings.LANGUAGE_CODE


def verb_choices(*, user: User) -> list[tuple[str, str]]:
    verbs: dict[str, str | Promise] = dict(VERB_LABELS)
    for verb in Notification.objects.filter(recipient=user).values_list("verb", flat=True).distinct():
        verbs.setdefault(verb, verb)
    return sorted(((verb, str(label)) for verb, label in verbs.items()), key=lambda pair: pair[0])


# writes -----------------------------------------------------------------------------------------
def _notification_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InboxError("id", "通知编号必须是整数 / id must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise InboxError("id", "通知编号必须是整数 / id must be an integer") from None
    if number <= 0:
        raise InboxError("id", "通知编号必须是正整数 / id must be positive")
    return number


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: object) -> Notification:
    """Mark one of the user's own notifications read (idempotent).

    Raises ``InboxError`` naming ``id`` when the id is malformed, unknown or someone else's;
    nothing changes in that case.
    """
    number = _notification_id(notification_id)
    notification = Notification.objects.select_for_update().filter(pk=number, recipient=user).first()
    if notification is None:
        raise InboxError("id", f"没有编号为 {number} 的通知 / no notification {number}")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preference_update(*, user: User, email_enabled: bool, muted_verbs: list[str]) -> NotificationPreference:
    known = {verb for verb, _ in verb_choices(user=user)}
    unknown = [verb for verb in muted_verbs if verb not in known]
    if unknown:
        raise InboxError("muted_verbs", f"未知通知类型 / unknown kind {unknown[0]!r}")
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.email_enabled = bool(email_enabled)
    preference.muted_verbs = sorted(set(muted_verbs))
    preference.save()
    return preference


@transaction.atomic
def language_remember(*, user: User, language: str) -> NotificationPreference:
    """Store the language a signed-in user chose with the switch; their e-mails and notifications follow it."""
    if language not in dict(settings.LANGUAGES):
        raise InboxError("language", f"不支持的语言 / unsupported language {language!r}")
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    if preference.language != language:
        preference.language = language
        preference.save(update_fields=["language"])
    return preference
