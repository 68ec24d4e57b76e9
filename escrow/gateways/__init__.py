"""Payment rails behind one interface: bank transfer (the default) and Stripe; their instructions and events."""
