"""Notifications keep their title in Chinese and English; the reader sees the one for their language."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from marketplace.models import Notification
from marketplace.notifications import notification_payload, notify
from marketplace.verbs import Verb
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_lazy_title_is_stored_in_both_languages_and_shown_in_the_active_one():
    user = UserFactory()
    title = format_lazy(gettext_lazy("挂牌“{title}”已通过审核并发布"), title="一种电池")

    [notification] = notify(users=[user], verb="listing.published", title=title)
    notification = Notification.objects.get(pk=notification.pk)

    assert notification.title == "挂牌“一种电池”已通过审核并发布"
    assert notification.title_en == "Listing “一种电池” has been approved and published"
    with translation.override("en"):
        assert notification.display_title == notification.title_en
    with translation.override("zh-hans"):
        assert notification.display_title == notification.title

    payload = notification_payload(notification)
    assert payload["title"] == notification.title
    assert payload["title_en"] == notification.title_en


def test_plain_title_is_chinese_only_and_shown_in_every_language():
    user = UserFactory()
    [notification] = notify(users=[user], verb=Verb.LISTING_PUBLISHED, title="普通通知")
    notification = Notification.objects.get(pk=notification.pk)

    assert (notification.title, notification.title_en) == ("普通通知", "")
    with translation.override("en"):
        assert notification.display_title == "普通通知"
    assert notification_payload(notification)["title_en"] == ""


def test_notification_list_follows_the_language_switch(settings):
    user = UserFactory()
    notify(users=[user], verb="listing.published",
           title=format_lazy(gettext_lazy("挂牌“{title}”已通过审核并发布"), title="一种电池"))
    client = Client()
    client.force_login(user)

    assert "挂牌“一种电池”已通过审核并发布" in client.get("/me/notifications/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Listing “一种电池” has been approved and published" in client.get("/me/notifications/").content.decode()
