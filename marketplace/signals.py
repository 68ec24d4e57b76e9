"""News from the parties domain to the domains downstream (which subscribe in their ``AppConfig.ready``)."""
from django.dispatch import Signal

#: an operator revoked an organisation's verification (sender ``Organisation``; ``organisation``, ``by``,
#: ``reason``). Sent inside the revoking transaction: what receivers change is kept or rolled back with it.
organisation_verification_revoked = Signal()
