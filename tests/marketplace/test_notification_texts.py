"""Notifications are stored as codes and parameters and rendered in the reader's language; e-mails say what
happened and what to do, link to ``SITE_URL``, follow the recipient's stored language, and never tell someone
about their own action."""
from __future__ import annotations

import importlib

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy

from marketplace import inbox
from marketplace import services as org_services
from marketplace.models import Notification
from marketplace.notifications import Joined, notification_email, notify, text
from marketplace.texts import render_in
from marketplace.verbs import Verb
from tests.factories import MembershipFactory, OperatorFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TITLE = gettext_lazy("挂牌“{title}”已通过审核并发布")


def test_email_says_what_happened_and_links_to_the_configured_site(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://patents.example.cn"
    user = UserFactory(email="holder@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], verb=Verb.LISTING_PUBLISHED, title=text(TITLE, title="一种电池"), body="材料齐全",
               url="/listings/7/")

    [message] = mail.outbox
    assert message.subject == "[专利展示交易网] 挂牌“一种电池”已通过审核并发布"
    assert "挂牌“一种电池”已通过审核并发布" in message.body and "材料齐全" in message.body
    assert "查看详情并处理：\nhttps://patents.example.cn/listings/7/" in message.body
    assert "https://patents.example.cn/me/notifications/preferences/" in message.body
    assert "127.0.0.1" not in message.body


def test_email_follows_the_recipients_stored_language(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://patents.example.cn"
    reader = UserFactory(email="reader@example.cn")
    inbox.language_remember(user=reader, language="en")
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):  # the sender's language
        notify(users=[reader], verb=Verb.LISTING_PUBLISHED, title=text(TITLE, title="一种电池"), url="/listings/7/")

    [message] = mail.outbox
    assert message.subject == "[Patent Exhibition & Trading Network] Listing “一种电池” has been approved and published"
    assert "See the details and act on them:\nhttps://patents.example.cn/listings/7/" in message.body
    assert "查看详情" not in message.body


def test_the_language_switch_stores_a_members_choice(client):
    user = UserFactory()
    client.force_login(user)
    assert inbox.language_of(user) == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert inbox.language_of(user) == "en"
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert inbox.language_of(user) == "zh-hans"


def test_nobody_is_emailed_about_their_own_action(django_capture_on_commit_callbacks):
    actor, colleague = UserFactory(email="actor@example.cn"), UserFactory(email="colleague@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[actor, colleague], verb=Verb.LISTING_PUBLISHED, title=text(TITLE, title="X"), by=actor)

    assert [m.to for m in mail.outbox] == [["colleague@example.cn"]]
    assert Notification.objects.filter(recipient=actor).exists()  # still in the app


def test_a_page_request_is_the_actor_when_the_service_does_not_say(django_capture_on_commit_callbacks):
    """An operator who is also a member of the organisation they verify is not e-mailed about it; the other
    member is. The verify page's request names the actor (``ActingUserMiddleware``)."""
    organisation = OrganisationFactory(is_verified=False)
    operator = OperatorFactory(email="op@example.cn")
    MembershipFactory(organisation=organisation, user=operator)
    other = MembershipFactory(organisation=organisation, user__email="member@example.cn").user
    client = Client()
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/review/organisations/{organisation.pk}/verify/", {"reason": "核对无误"})
    assert response.status_code in (302, 303)
    assert [m.to for m in mail.outbox] == [[other.email]]


def test_organisation_notification_renders_in_each_language():
    organisation = OrganisationFactory(is_verified=False, name="苏州测试有限公司")
    member = MembershipFactory(organisation=organisation).user
    org_services.organisation_verify(organisation=organisation, by=OperatorFactory())

    notification = Notification.objects.get(recipient=member, verb=Verb.ORGANISATION_VERIFIED)
    assert notification.title_text["t"] == "机构“{name}”已通过认证"
    assert notification.title_text["p"] == {"name": "苏州测试有限公司"}
    with translation.override("en"):
        assert "苏州测试有限公司" in notification.display_title and "机构" not in notification.display_title
    with translation.override("zh-hans"):
        assert notification.display_title == "机构“苏州测试有限公司”已通过认证"


def test_match_body_names_its_parts_in_the_readers_language():
    from listings.matching.presentation import share_summary_text

    line = text(gettext_lazy("· {number} {title}（匹配度 {score:.2f}；{share}）"), number="CN1", title="电池",
                score=0.62, share=share_summary_text({"parts": [{"name": "text", "share": 0.62}, {"name": "ipc", "share": 0.24}]}))
    stored = Joined([line]).stored()

    english = render_in(stored, "en")
    chinese = render_in(stored, "zh-hans")
    assert "匹配度" not in english and "文本相关度" not in english and "62%" in english and "24%" in english
    assert "text 62%" not in english and "ipc 24%" not in english  # labels, never raw part names
    assert chinese == "· CN1 电池（匹配度 0.62；文本相关度 62%, IPC 邻近度 24%）"


def test_notification_payload_and_api_follow_the_language():
    user = UserFactory()
    notify(users=[user], verb=Verb.LISTING_PUBLISHED, title=text(TITLE, title="电池"))
    client = Client()
    client.force_login(user)
    english = client.get("/api/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]["title"]
    chinese = client.get("/api/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]["title"]
    assert english == "Listing “电池” has been approved and published"
    assert chinese == "挂牌“电池”已通过审核并发布"


def test_notification_email_is_built_without_a_request(settings):
    settings.SITE_URL = "http://exchange.local:9000"
    user = UserFactory()
    [notification] = notify(users=[user], verb=Verb.LISTING_PUBLISHED, title=text(TITLE, title="电池"), url="/x/")
    subject, body = notification_email(notification)
    assert "http://exchange.local:9000/x/" in body


def test_stored_rows_from_before_codes_become_per_language_literals():
    migration = importlib.import_module("marketplace.migrations.0006_accounts_texts_tokens")
    assert migration._split("您的需求“X”有新的匹配专利 / new matches for your demand", "") == {
        "lit": {"zh-hans": "您的需求“X”有新的匹配专利", "en": "new matches for your demand"}}
    assert migration._split("挂牌“X”已发布", "Listing “X” published") == {
        "lit": {"zh-hans": "挂牌“X”已发布", "en": "Listing “X” published"}}
    assert migration._split("普通通知", "") == {"lit": {"zh-hans": "普通通知"}}
    literal = migration._split("您的需求“X”有新的匹配专利 / new matches for your demand", "")
    assert render_in(literal, "en") == "new matches for your demand"
    assert render_in(literal, "zh-hans") == "您的需求“X”有新的匹配专利"
