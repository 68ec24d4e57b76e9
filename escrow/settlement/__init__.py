"""Escrow per deal and its settlement: the fee schedule, the escrow machine, statements and reconciliation."""
