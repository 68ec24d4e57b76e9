"""Every write of the deals domain: lifecycle, offers, the room, brokers, the IP review and the contract."""
