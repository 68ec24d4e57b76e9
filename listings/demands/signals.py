"""What demands announce: ``demand_changed(demand)`` when a demand is published, reinstated or edited while public."""
from django.dispatch import Signal

demand_changed = Signal()
