"""Notifications store a message code and its parameters; each reader sees them in their own language."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy

from marketplace.models import Notification
from marketplace.notifications import notification_payload, notify, text
from marketplace.verbs import Verb
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_coded_title_is_stored_as_code_and_parameters_and_shown_in_the_active_language():
    user = UserFactory()
    title = text(gettext_lazy("挂牌“{title}”已通过审核并发布"), title="一种电池")

    [notification] = notify(users=[user], verb="listing.published", title=title)
    notification = Notification.objects.get(pk=notification.pk)

    assert notification.title_text == {"t": "挂牌“{title}”已通过审核并发布", "p": {"title": "一种电池"}}
    assert notification.title == "挂牌“一种电池”已通过审核并发布"
    with translation.override("en"):
        assert notification.display_title == "Listing “一种电池” has been approved and published"
    with translation.override("zh-hans"):
        assert notification.display_title == notification.title

    payload = notification_payload(notification)
    assert payload["title"] == notification.title
    assert payload["title_en"] == "Listing “一种电池” has been approved and published"


def test_plain_title_is_kept_as_written_in_every_language():
    user = UserFactory()
    [notification] = notify(users=[user], verb=Verb.LISTING_PUBLISHED, title="普通通知")
    notification = Notification.objects.get(pk=notification.pk)

    assert notification.title == "普通通知"
    with translation.override("en"):
        assert notification.display_title == "普通通知"
    assert notification_payload(notification)["title_en"] == "普通通知"


def test_notification_list_follows_the_language_switch(settings):
    user = UserFactory()
    notify(users=[user], verb="listing.published", title=text(gettext_lazy("挂牌“{title}”已通过审核并发布"), title="一种电池"))
    client = Client()
    client.force_login(user)

    assert "挂牌“一种电池”已通过审核并发布" in client.get("/me/notifications/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Listing “一种电池” has been approved and published" in client.get("/me/notifications/").content.decode()
