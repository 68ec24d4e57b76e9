"""The audit row every declared transition writes: who moved an object, when, and why."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TransitionRecord(models.Model):
    """Concrete subclasses add the object's foreign key and ``from_status``/``to_status`` with its choices."""

    action = models.CharField(_("操作"), max_length=40)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]
