"""Signals the deals domain sends for later issues (escrow listens to ``deal_contract_confirmed``)."""
from django.dispatch import Signal

#: sent after commit with ``deal``: both parties confirmed the same contract text
deal_contract_confirmed = Signal()
#: sent after commit with ``deal``: the deal is closed (assignment recorded / licence granted)
deal_closed = Signal()
