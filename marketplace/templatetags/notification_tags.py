"""The bell's data: unread count and the latest notifications of the signed-in user."""
from django import template

from marketplace import inbox

register = template.Library()

BELL_RECENT = 8


@register.simple_tag(takes_context=True)
def notification_bell(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread": 0, "recent": []}
    return {
        "unread": inbox.unread_count(user=user),
        "recent": list(inbox.notifications_for(user=user)[:BELL_RECENT]),
    }
