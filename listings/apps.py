"""The ``listings`` app: the catalogue, trading, demands and matching domains, and the signals that join them."""
from collections.abc import Sequence
from typing import Any, cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = _("专利数据库与挂牌")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Downstream domains subscribe to upstream signals; upstream never imports downstream."""
        from listings.catalogue import signals as catalogue_signals
        from listings.demands.signals import demand_changed
        from listings.matching import services as matching
        from listings.trading import receivers as trading
        from listings.trading.signals import listing_published

        catalogue_signals.patent_left_force.connect(trading.on_patent_left_force, dispatch_uid="trading_left_force")
        catalogue_signals.patent_encumbered.connect(trading.on_patent_encumbered, dispatch_uid="trading_encumbered")
        catalogue_signals.encumbrance_released.connect(
            trading.on_encumbrance_released, dispatch_uid="trading_encumbrance_released"
        )
        from listings.demands import receivers as demand_receivers
        from marketplace.signals import organisation_verification_revoked

        organisation_verification_revoked.connect(
            trading.on_organisation_verification_revoked, dispatch_uid="trading_organisation_revoked"
        )
        organisation_verification_revoked.connect(
            demand_receivers.on_organisation_verification_revoked, dispatch_uid="demands_organisation_revoked"
        )
        _register_review_sections()
        demand_changed.connect(matching.on_demand_changed, dispatch_uid="matching_demand_changed")
        listing_published.connect(matching.on_listing_published, dispatch_uid="matching_listing_published")
        _connect_room_access()
        from listings.catalogue import labels as catalogue_labels

        catalogue_labels.connect()


def _connect_room_access() -> None:
    """Deal-room sockets re-check their access when a membership, a user or a deal's broker changes."""
    from django.contrib.auth.models import User
    from django.db.models.signals import post_delete, post_save

    from listings.deals import receivers as room
    from listings.deals.models import DealBroker
    from marketplace.models import Membership

    post_save.connect(room.on_membership_changed, sender=Membership, dispatch_uid="deals_room_membership_saved")
    post_delete.connect(room.on_membership_changed, sender=Membership, dispatch_uid="deals_room_membership_deleted")
    post_save.connect(room.on_user_saved, sender=User, dispatch_uid="deals_room_user_saved")
    post_delete.connect(room.on_broker_removed, sender=DealBroker, dispatch_uid="deals_room_broker_removed")


def _register_review_sections() -> None:
    """The trading and demands sections of the operator console's review queue."""
    from listings.catalogue.selectors import patentee_links_to_confirm
    from listings.demands.selectors import demands_pending_review
    from listings.demands.serializers import DemandSerializer
    from listings.trading.selectors import authorisations_pending_review, listings_pending_review, listings_suspended
    from listings.trading.serializers import AttachmentSerializer, ListingSerializer
    from marketplace.console import ReviewSection, register_review_section

    # ``many=True`` gives a list (ReturnList); the stubs type ``.data`` as ReturnDict, hence the casts.
    def listings(items: Sequence[Any], request: Any) -> list[Any]:
        return cast(list[Any], ListingSerializer(items, many=True, context={"request": request}).data)

    def demands(items: Sequence[Any], request: Any) -> list[Any]:
        return cast(list[Any], DemandSerializer(items, many=True, context={"request": request}).data)

    def authorisations(items: Sequence[Any], request: Any) -> list[Any]:
        return cast(list[Any], AttachmentSerializer(items, many=True).data)

    register_review_section(ReviewSection("listings", listings_pending_review, listings))
    register_review_section(ReviewSection("demands", demands_pending_review, demands))
    register_review_section(ReviewSection("authorisations", authorisations_pending_review, authorisations))
    register_review_section(ReviewSection("suspended", listings_suspended, listings, counts=False))

    def patentees(items: Sequence[Any], request: Any) -> list[Any]:
        return [{"organisation": m.organisation.pk, "organisation_name": m.organisation.name, "patentee": m.patentee.pk,
                 "patentee_name": m.patentee.name, "patents": m.patents} for m in items]

    register_review_section(ReviewSection("patentees", patentee_links_to_confirm, patentees,
                                          template="catalogue/review_patentees.html"))
