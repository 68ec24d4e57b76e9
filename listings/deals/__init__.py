"""Deals: enquiry, negotiation with offers in a live room, pre-deal IP review and the signed contract."""
