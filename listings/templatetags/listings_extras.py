"""Template helpers of the trading pages: prices shown as money or 面议, and pagination links that keep filters."""
from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def price(listing) -> str:
    money = listing.price
    return _("面议") if money is None else str(money)


@register.simple_tag
def money(value) -> str:
    return "—" if value is None else str(value)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (used by pagination)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def operator(user) -> bool:
    """``{% if user|operator %}``: exchange staff (``is_staff`` or an operator membership)."""
    from marketplace.permissions import is_operator

    return is_operator(user)
