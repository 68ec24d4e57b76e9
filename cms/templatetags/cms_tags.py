"""Template filters of the exhibition site."""
from django import template

register = template.Library()


@register.filter
def item_label(value) -> str:
    """A person, applicant or service stored as text or as a small dict ({"name": …}); shown as text."""
    if isinstance(value, dict):
        for key in ("name", "name_zh", "title", "label", "service"):
            if value.get(key):
                return str(value[key])
        return ", ".join(str(v) for v in value.values() if v)
    return "" if value is None else str(value)
