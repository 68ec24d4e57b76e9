"""The double-entry ledger: accounts, balanced transactions of integer minor units, derived balances."""
