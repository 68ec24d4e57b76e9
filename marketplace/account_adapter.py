"""allauth's e-mails with the site's own name, domain and address (``settings.SITE_URL``), in the reader's language.

Without ``django.contrib.sites`` allauth would name the request's host ("来自127.0.0.1:18800的 Hello!") and build
links from it; here the name is the site's, and confirmation and password-reset links start with ``SITE_URL``."""
from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation

from marketplace import inbox
from marketplace.site_url import absolute_url, current_site


class SiteAccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        return f"[{current_site().name}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # the reader's stored language when the mail is about a known user (a reset asked for while signed out)
        language = inbox.stored_language(context.get("user")) or translation.get_language()
        with translation.override(language):
            context = {**context, "current_site": current_site(), "site_url": absolute_url("/")}
            super().send_mail(template_prefix, email, context)

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        """A new member's e-mails and notifications are written in the language they signed up in."""
        user = super().save_user(request, user, form, commit=commit)
        language = translation.get_language()
        if commit and language in dict(settings.LANGUAGES):
            inbox.language_remember(user=user, language=language)
        return user

    def post_login(self, request, user, **kwargs):  # type: ignore[no-untyped-def]
        """A member signing in on a browser that has no language chosen gets the language they keep (the switch's
        cookie, as ``set_language`` writes it); a choice already made on this browser stays."""
        response = super().post_login(request, user, **kwargs)
        language = inbox.stored_language(user)
        if language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:  # type: ignore[no-untyped-def]
        return absolute_url(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return absolute_url(super().get_reset_password_from_key_url(key))
