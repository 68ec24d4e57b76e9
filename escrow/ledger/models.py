"""Ledger rows: accounts, transactions and their entries. Entries are append-only (database triggers refuse
UPDATE and DELETE on ``ledger_entry`` and ``ledger_transaction``). An account's balance is the sum of its entries;
``Account.balance`` keeps that sum as a running total, moved by the posting that writes the entries (same database
transaction), so a check constraint can refuse a balance below zero under any concurrency; ``ledger_check``
verifies that the running total equals the sum of entries."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    BUYER_FUNDING = "buyer_funding", _("买方付款")
    ESCROW_HELD = "escrow_held", _("托管资金（每笔交易）")
    SELLER_PAYABLE = "seller_payable", _("应付卖方")
    COMMISSION_PAYABLE = "commission_payable", _("应付经纪佣金")
    FEE_REVENUE = "fee_revenue", _("交易所服务费收入")
    REFUNDS_PAYABLE = "refunds_payable", _("应退买方")
    BANK_CLEARING = "bank_clearing", _("银行清算")
    STRIPE_CLEARING = "stripe_clearing", _("Stripe 清算")


#: asset accounts: their balance is debits minus credits; every other account's is credits minus debits
DEBIT_NORMAL = frozenset({AccountType.BANK_CLEARING, AccountType.STRIPE_CLEARING})


class Account(models.Model):
    """One account: its type, whose it is (``key``: ``org:<id>``, ``escrow:<id>``, ``exchange``) and its currency.
    No account may go negative in its normal direction."""

    type = models.CharField(_("账户类型"), max_length=24, choices=AccountType.choices)
    key = models.CharField(_("归属"), max_length=64)
    currency = models.CharField(_("币种"), max_length=3)
    name = models.CharField(_("名称"), max_length=200, blank=True)
    #: debits minus credits of every entry of this account, moved only by ``transaction_post`` (never typed in)
    balance = models.BigIntegerField(_("余额（借减贷，最小单位）"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["type", "key", "currency"]
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints = [
            models.UniqueConstraint(fields=["type", "key", "currency"], name="ledger_account_unique"),
            models.CheckConstraint(
                condition=(models.Q(type__in=sorted(DEBIT_NORMAL), balance__gte=0)
                           | (~models.Q(type__in=sorted(DEBIT_NORMAL)) & models.Q(balance__lte=0))),
                name="ledger_account_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.key} {self.currency}"

    @property
    def sign(self) -> int:
        """+1 when a debit raises the balance (assets), −1 otherwise."""
        return 1 if self.type in DEBIT_NORMAL else -1


class LedgerTransaction(models.Model):
    """A balanced set of entries in one currency. ``reference`` makes a posting idempotent (an external event,
    an escrow step); ``reverses`` points to the transaction this one cancels (at most once)."""

    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    currency = models.CharField(_("币种"), max_length=3)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    reference = models.CharField(_("业务参考号"), max_length=120, null=True, blank=True, unique=True)
    subject = models.CharField(_("业务对象"), max_length=64, blank=True, db_index=True,
                               help_text=_("e.g. escrow:12 — what the transaction is about"))
    reverses = models.OneToOneField(
        "self", verbose_name=_("冲销的交易"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.memo}"


class Entry(models.Model):
    """One line: ``amount`` in minor units, positive a debit, negative a credit; never zero."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("金额（最小单位；借正贷负）"))

    class Meta:
        ordering = ["transaction", "pk"]
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_not_zero")]
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_entry_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"
