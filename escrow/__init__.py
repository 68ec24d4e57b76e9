"""The money half of the exchange: ledger, payment rails, settlement and financing."""
