"""The deal room: its ordered messages, the shared documents and the acceptances of the non-disclosure terms."""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.deals.models.deal import Deal, Side


class MessageKind(models.TextChoices):
    CHAT = "chat", _("消息")
    OFFER = "offer", _("报价")
    ATTACHMENT = "attachment", _("附件")
    EVENT = "event", _("事件")


class DealMessage(models.Model):
    """Everything said or done in a deal room, in order: ``seq`` counts from 1 per deal without gaps."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=12, choices=MessageKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "seq"]
        constraints = [models.UniqueConstraint(fields=["deal", "seq"], name="deal_message_seq_unique")]
        verbose_name = _("交易室消息")
        verbose_name_plural = _("交易室消息")


def document_upload_to(instance: DealDocument, filename: str) -> str:
    return f"deals/{instance.deal_id}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class DealDocument(models.Model):
    """A file shared in the room; a confidential one is seen by the buyer only after accepting the NDA."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    confidential = models.BooleanField(_("保密"), default=False)
    side = models.CharField(max_length=10, choices=Side.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "uploaded_at", "pk"]
        verbose_name = _("交易文件")
        verbose_name_plural = _("交易文件")


class NdaAcceptance(models.Model):
    """Who accepted the deal's non-disclosure terms, when, and the sha256 of the exact text."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="nda_acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    text_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "user", "text_sha256"], name="deal_nda_once")]
