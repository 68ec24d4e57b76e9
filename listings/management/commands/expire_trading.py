"""Expire listings whose validity ended and demands whose deadline passed (run daily, e.g. from cron)."""
from django.core.management.base import BaseCommand

from listings.demands.services import demands_expire_due
from listings.trading.services.lifecycle import listings_expire_due


class Command(BaseCommand):
    help = "Expire listings past their validity and demands past their deadline; each expiry is recorded and notified."

    def handle(self, *args, **options):
        listings = listings_expire_due()
        demands = demands_expire_due()
        self.stdout.write(f"expired {len(listings)} listing(s), {len(demands)} demand(s)")
