"""Account entry points hardened around allauth: the staff logins of both admins redirect to allauth's login (so
its rate limits and two-factor stage apply to operators too), sign-up answers a username taken by a parallel
request with a form error on ``username`` instead of a 500, and the language switch remembers a member's choice."""
from __future__ import annotations

from allauth.account.views import SignupView
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from marketplace import inbox


def staff_login(request: HttpRequest, *, default_next: str) -> HttpResponse:
    """``/django-admin/login/`` and ``/admin/login/``: never a password form of their own (those had no limit),
    only a redirect to allauth's login with the page the operator wanted."""
    target = request.GET.get("next") or request.POST.get("next") or default_next
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = default_next
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


def django_admin_login(request: HttpRequest) -> HttpResponse:
    return staff_login(request, default_next="/django-admin/")


def wagtail_admin_login(request: HttpRequest) -> HttpResponse:
    return staff_login(request, default_next="/admin/")


class RaceSafeSignupView(SignupView):
    """allauth's sign-up; when a parallel sign-up took the username (or e-mail) between the form's check and the
    insert, the unique constraint's refusal comes back as an error on the form, and nothing is half-written."""

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            form.add_error("username", _("该用户名刚被注册，请换一个 / this username was just taken, choose another"))
            return self.form_invalid(form)


signup = RaceSafeSignupView.as_view()


def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch: Django's cookie, and for a signed-in user the choice kept on their preferences, so
    e-mails and notifications are written in it too (``inbox.language_remember``)."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        inbox.language_remember(user=request.user, language=language)
    return response
