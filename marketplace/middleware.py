"""Chinese first: pages are Chinese unless the visitor chose English with the switch (a cookie).

Django's ``LocaleMiddleware`` would follow the browser's Accept-Language, so a visitor whose browser
says English would never see the site in its first language. The API still negotiates by
Accept-Language, as API clients expect.
"""
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
