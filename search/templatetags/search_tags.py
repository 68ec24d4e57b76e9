"""``{% load search_tags %}``: IPC codes linked to the field search, and IPC fields suggested for a text."""
from django import template

from search.presentation import ipc_search_url as _ipc_search_url

register = template.Library()


@register.filter
def ipc_search_url(code: str) -> str:
    return _ipc_search_url(str(code).replace(" ", ""))


@register.simple_tag
def suggested_ipc_fields(*texts: str, k: int = 3):
    """``{% suggested_ipc_fields form.title.value form.problem.value as fields %}``: predicted IPC subclasses
    with Chinese titles for the text (nothing without a trained field classifier)."""
    from search.selectors import field_suggestions

    return field_suggestions(" ".join(str(t) for t in texts if t), k=k)
