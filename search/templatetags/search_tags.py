"""``{% load search_tags %}``: link IPC codes on patent pages to the field search, ``{{ code|ipc_search_url }}``."""
from django import template

from search.presentation import ipc_search_url as _ipc_search_url

register = template.Library()


@register.filter
def ipc_search_url(code: str) -> str:
    return _ipc_search_url(str(code).replace(" ", ""))
