"""What trading announces: ``listing_published(listing)`` when a listing becomes public (approved or reinstated)."""
from django.dispatch import Signal

listing_published = Signal()
