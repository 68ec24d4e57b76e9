"""Organisations and the people who act for them; their notifications; the outbox of tasks owed after a commit."""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.identifiers import validate_uscc
from marketplace.texts import render


class Organisation(models.Model):
    """A legal person on the exchange: a firm, university, institute, association, bank or service agency."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        UNIVERSITY = "university", _("高校")
        INSTITUTE = "institute", _("科研院所")
        ASSOCIATION = "association", _("行业协会")
        SERVICE_AGENCY = "service_agency", _("服务机构")
        FINANCIAL = "financial", _("金融机构")
        GOVERNMENT = "government", _("政府/园区管理机构")
        INDIVIDUAL = "individual", _("个人")

    name = models.CharField(_("名称"), max_length=200, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.ENTERPRISE)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, null=True, unique=True, validators=[validate_uscc]
    )
    industry_field = models.CharField(_("产业领域"), max_length=200, blank=True)
    description = models.TextField(_("简介"), blank=True)
    services = models.JSONField(_("服务项目"), default=list, blank=True)
    contact = models.CharField(_("联系方式"), max_length=300, blank=True)
    remark = models.CharField(_("备注"), max_length=100, blank=True)
    pilot_programmes = models.JSONField(
        _("试点身份"), default=list, blank=True, help_text=_("e.g. 国家专利运营试点企业, 国家专利协同运用试点单位")
    )
    zone = models.ForeignKey(
        "listings.Zone", verbose_name=_("所在实验区"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="organisations",
    )
    is_verified = models.BooleanField(_("已认证"), default=False)
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("数据来源"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self) -> str:
        return self.name

    @property
    def is_service_agency(self) -> bool:
        return self.kind == self.Kind.SERVICE_AGENCY


class Membership(models.Model):
    """A user acting for an organisation in one role."""

    class Role(models.TextChoices):
        HOLDER = "holder", _("权利人")
        DEMAND = "demand", _("需求方")
        BROKER = "broker", _("技术经纪人")
        LENDER = "lender", _("质权人")
        OPERATOR = "operator", _("运营人员")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class Notification(models.Model):
    """One message to one user; shown in the bell live (Channels) and optionally e-mailed."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(_("类型"), max_length=50, db_index=True)
    #: what to say, as a message code and its parameters (marketplace/texts.py), rendered in the reader's language
    title_text = models.JSONField(_("标题（代码与参数）"), default=dict, blank=True)
    body_text = models.JSONField(_("内容（代码与参数）"), default=dict, blank=True)
    #: the same rendered in Chinese when written: for the admin, search and logs
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    #: what the notification is about, when a task may run twice (a redelivered message after a lost worker):
    #: one row per recipient and key, so a second run tells nobody again. Empty for one-off notifications.
    dedup_key = models.CharField(_("去重键"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedup_key"], condition=~models.Q(dedup_key=""), name="notification_dedup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def display_title(self) -> str:
        """The title in the active language."""
        return render(self.title_text) if self.title_text else self.title

    @property
    def display_body(self) -> str:
        """The body in the active language."""
        return render(self.body_text) if self.body_text else self.body


class NotificationPreference(models.Model):
    """Per-user choice of channels; in-app is always on, e-mail may be turned off per kind."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    email_enabled = models.BooleanField(_("邮件通知"), default=True)
    muted_verbs = models.JSONField(_("不发邮件的通知类型"), default=list, blank=True)
    #: the language the user last chose with the switch: their e-mails and notifications are written in it
    language = models.CharField(_("语言"), max_length=10, blank=True, default="")

    def wants_email(self, verb: str) -> bool:
        return self.email_enabled and verb not in (self.muted_verbs or [])


class OrganisationReview(models.Model):
    """An operator's decision on an organisation's verification: the audit trail (who, when, why)."""

    class Decision(models.TextChoices):
        VERIFIED = "verified", _("认证通过")
        REJECTED = "rejected", _("认证未通过")
        REVOKED = "revoked", _("撤销认证")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("结论"), max_length=20, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("机构认证记录")
        verbose_name_plural = _("机构认证记录")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_decision_display()}"


class OutboxTask(models.Model):
    """A Celery task owed because a change committed, kept until a worker reports it finished (the task outbox).

    Written in the transaction of the change that causes it, so the task exists exactly when the change does; its
    id is the Celery task id. A worker claims it when the task starts and deletes it when the task succeeds. A row
    still here after its lease (or claimed by a worker process that has died) is published again by
    ``marketplace.outbox.outbox_republish_due``; every task sent this way is idempotent (docs/operations.md).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(_("任务"), max_length=200)
    args = models.JSONField(_("位置参数"), default=list, blank=True)
    kwargs = models.JSONField(_("关键字参数"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    #: the last time it was handed to the broker; the lease of an unclaimed row runs from here
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    publish_count = models.PositiveIntegerField(_("发布次数"), default=1)
    #: when a worker started it, and which (``host:pid``); the lease of a claimed row runs from ``claimed_at``
    claimed_at = models.DateTimeField(_("开始执行时间"), null=True, blank=True)
    claimed_by = models.CharField(_("执行进程"), max_length=200, blank=True)
    #: the task gave up (its retries exhausted, or an error it does not retry): kept for an operator, not re-sent
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("待完成任务")
        verbose_name_plural = _("待完成任务")

    def __str__(self) -> str:
        return f"{self.task} {self.id}"


class ApiToken(models.Model):
    """A member's named API token: several per member, each revocable. Only a hash of the key is kept; the key is
    shown once, when made (marketplace/api_tokens.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    #: the key's first characters, shown so a member can tell their tokens apart
    prefix = models.CharField(_("前缀"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user} · {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
