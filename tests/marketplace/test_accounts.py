"""Accounts and first steps: allauth's e-mails name the site and link to ``SITE_URL``; sign-up and login land on
the member home; the USCC accepts a pasted code with spaces and hyphens; error pages wear the site's layout."""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from marketplace.identifiers import parse_uscc
from marketplace.models import Membership, Organisation
from tests.factories import MembershipFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.cn", "username": "newholder", "password1": "Ku8-suzhou-2024", "password2": "Ku8-suzhou-2024"}


def _signup(client: Client):
    return client.post(reverse("account_signup"), SIGNUP)


def test_signup_lands_on_the_member_home_and_the_confirmation_names_the_site(settings):
    settings.SITE_URL = "https://patents.example.cn"
    client = Client()
    response = _signup(client)
    assert response.status_code == 302 and response["Location"] == "/me/"

    [message] = mail.outbox
    assert message.subject.startswith("[专利展示交易网] ")
    assert "Hello from" not in message.body and "testserver" not in message.body and "127.0.0.1" not in message.body
    assert message.body.startswith("您好，")
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.startswith("https://patents.example.cn/accounts/confirm-email/")
    assert "感谢您使用专利展示交易网。" in message.body

    home = client.get("/me/")
    assert home.status_code == 200
    page = home.content.decode()
    assert 'id="first-steps"' in page and 'id="step-organisation"' in page and 'aria-current="step"' in page
    assert "个工作日内完成" in page


def test_confirmation_email_in_english_for_an_english_visitor(settings):
    settings.SITE_URL = "https://patents.example.cn"
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _signup(client)
    [message] = mail.outbox
    assert message.subject.startswith("[Patent Exhibition & Trading Network] ")
    assert message.body.startswith("Hello,")
    from django.contrib.auth.models import User

    from marketplace.inbox import stored_language
    assert stored_language(User.objects.get(username="newholder")) == "en"  # later e-mails follow it


def test_password_reset_link_starts_with_the_site_url(settings):
    settings.SITE_URL = "https://patents.example.cn"
    UserFactory(username="forgetful", email="forgetful@example.cn")
    Client().post(reverse("account_reset_password"), {"email": "forgetful@example.cn"})
    [message] = mail.outbox
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.startswith("https://patents.example.cn/accounts/password/reset/key/")


def test_login_lands_on_the_member_home():
    UserFactory(username="member", email="member@example.cn")
    response = Client().post(reverse("account_login"), {"login": "member", "password": "pw-123456"})
    assert response.status_code == 302 and response["Location"] == "/me/"


def test_login_on_a_new_browser_follows_the_members_stored_language(settings):
    from marketplace.inbox import language_remember

    member = UserFactory(username="member", email="member@example.cn")
    language_remember(user=member, language="en")
    client = Client()
    response = client.post(reverse("account_login"), {"login": "member", "password": "pw-123456"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in client.get("/me/").content.decode()


def test_login_keeps_the_language_already_chosen_on_this_browser(settings):
    from marketplace.inbox import language_remember

    member = UserFactory(username="member", email="member@example.cn")
    language_remember(user=member, language="en")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(reverse("account_login"), {"login": "member", "password": "pw-123456"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


@pytest.mark.parametrize("language, words", [("zh-hans", ["登录", "专利展示交易网", "中文"]),
                                             ("en", ["Log in", "Patent Exhibition", "English"])])
@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_allauth_pages_wear_the_site_layout(settings, url, language, words):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(url).content.decode()
    assert 'class="site-header"' in page and 'class="lang-switch"' in page and 'class="site-footer"' in page
    assert "account-main" in page and "marketplace/accounts.css" in page
    for word in words:
        assert word in page


@pytest.mark.parametrize("pasted", ["9132 0500 MA1M XXXX XX", "91320500-MA1M-XXXX-XX", " 9132-0500 MA1M　XXXX XX "])
def test_uscc_pasted_with_spaces_and_hyphens_is_accepted(pasted):
    code = make_uscc(424242)
    spaced = pasted
    for char in code:
        spaced = spaced.replace("X", char, 1) if "X" in spaced else spaced
    # rebuild the pasted form from the real code's characters, keeping the separators of the example
    chars = iter(code)
    rebuilt = "".join(next(chars) if c.isalnum() else c for c in pasted)
    assert parse_uscc(rebuilt) == code


def test_uscc_with_separators_registers_through_the_page():
    code = make_uscc(515151)
    pasted = f"{code[:4]} {code[4:8]}-{code[8:13]} {code[13:]}"
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = client.post(reverse("marketplace:my-organisations"), {
        "name": "空格测试有限公司", "uscc": pasted, "kind": "enterprise", "role": "holder"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organisation.objects.get(name="空格测试有限公司").uscc == code
    assert Membership.objects.filter(user=user, organisation__uscc=code).exists()


def test_uscc_still_names_a_wrong_length_after_stripping():
    with pytest.raises(Exception, match="17"):
        parse_uscc(make_uscc(1)[:17] + " -")


@pytest.mark.parametrize("language, title, back", [("zh-hans", "页面不存在", "返回首页"),
                                                   ("en", "Page not found", "Back to the home page")])
def test_404_page_in_each_language_with_the_layout(settings, language, title, back):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/no-such-page-here/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-header"' in page and title in page and back in page and 'id="error-404"' in page


@pytest.mark.parametrize("language, title", [("zh-hans", "无权访问"), ("en", "Access denied")])
def test_403_page_in_each_language_with_the_layout(settings, language, title):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/review/")  # operators only
    page = response.content.decode()
    assert response.status_code == 403
    assert 'class="site-header"' in page and title in page and 'id="error-403"' in page and 'href="/me/"' in page


@pytest.mark.django_db(transaction=False)
@override_settings(DEBUG=False)
def test_500_page_renders_without_the_database(django_db_blocker, rf):
    from django.utils import translation

    from marketplace.errors import server_error

    for language, title in (("zh-hans", "服务器出错"), ("en", "Server error")):
        with django_db_blocker.block(), translation.override(language):
            response = server_error(rf.get("/anything/"))
        page = response.content.decode()
        assert response.status_code == 500
        assert 'class="site-header"' in page and title in page and 'href="/"' in page


def test_member_home_shows_each_thing_and_what_waits(holder, holder_org):
    from tests.factories import ListingFactory

    ListingFactory(organisation=holder_org, title="待提交的挂牌", status="draft")
    client = Client()
    client.force_login(holder)
    page = client.get("/me/").content.decode()
    assert 'id="first-steps"' not in page  # organisation verified and something listed: no guidance needed
    assert "待提交的挂牌" in page and "还是草稿" in page and holder_org.name in page


def test_member_home_tells_a_verified_member_to_list_next():
    membership = MembershipFactory(role=Membership.Role.DEMAND)
    client = Client()
    client.force_login(membership.user)
    page = client.get("/me/").content.decode()
    assert 'id="step-publish"' in page and "现在可以发布技术需求" in page
    assert 'class="step-done" id="step-verification"' in page


def test_an_operator_home_shows_the_review_queue_not_the_first_steps():
    from tests.factories import OperatorFactory

    client = Client()
    client.force_login(OperatorFactory())
    page = client.get("/me/").content.decode()
    assert 'id="first-steps"' not in page and reverse("marketplace:review-queue") in page


def test_absolute_url_keeps_only_the_path_of_what_it_is_given(settings):
    from marketplace.site_url import absolute_url, current_site

    settings.SITE_URL = "https://patents.example.cn"
    assert absolute_url("/listings/7/?tab=files") == "https://patents.example.cn/listings/7/?tab=files"
    assert absolute_url("http://127.0.0.1:18800/accounts/confirm-email/k/") == \
        "https://patents.example.cn/accounts/confirm-email/k/"
    assert current_site().domain == "patents.example.cn"


@pytest.mark.parametrize("url", ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"])
def test_signed_in_account_pages_wear_the_site_layout(url):
    client = Client()
    client.force_login(UserFactory())
    page = client.get(url).content.decode()
    assert 'class="site-header"' in page and "account-main account-manage" in page and 'class="site-footer"' in page
