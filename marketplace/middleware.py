"""Chinese first: pages are Chinese unless the visitor chose English with the switch (a cookie).

Django's ``LocaleMiddleware`` would follow the browser's Accept-Language, so a visitor whose browser
says English would never see the site in its first language. The API still negotiates by
Accept-Language, as API clients expect.
"""
from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def page_language(request: HttpRequest) -> str:
    """The language a page is served in: the switch's cookie or Chinese; the API follows Accept-Language.

    The page cache keys stored pages by it before this middleware has run, so it is one function for both."""
    if request.path_info.startswith("/api/"):
        return translation.get_language_from_request(request)
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if not language or not translation.check_for_language(language):
        language = settings.LANGUAGE_CODE
    return language


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            return super().process_request(request)
        translation.activate(page_language(request))
        request.LANGUAGE_CODE = translation.get_language()


class ActingUserMiddleware:
    """Remembers who is acting for the length of a request, so nobody is e-mailed about their own action
    (``marketplace.notifications.acting_user``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from marketplace.notifications import acting_user

        token = acting_user.set(request)  # the user is read only when a notification is sent
        try:
            return self.get_response(request)
        finally:
            acting_user.reset(token)
