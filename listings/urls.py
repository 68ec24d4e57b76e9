"""The listings app's pages: trading, demands and deals, one URL (and one URL name) per action."""
from django.urls import include, path

from listings.catalogue import views as catalogue_views
from listings.demands import views as demand_views
from listings.members import views as member_views
from listings.trading import views as trading_views

app_name = "listings"


def _actions(route: str, view, names: dict, prefix: str, key: str = "pk") -> list:  # type: ignore[no-untyped-def,type-arg]
    """``<route>/<action>/`` for each declared action, named ``<prefix>-<action>`` (underscores become hyphens)."""
    return [
        path(f"{route}/<int:{key}>/{action}/", view, {"action": action}, name=f"{prefix}-{action.replace('_', '-')}")
        for action in names
    ]


urlpatterns = [
    path("listings/", trading_views.listing_board, name="listing-board"),
    path("listings/new/", trading_views.listing_create, name="listing-create"),
    path("listings/<int:pk>/", trading_views.listing_detail, name="listing-detail"),
    path("listings/<int:pk>/edit/", trading_views.listing_edit, name="listing-edit"),
    path("listings/<int:pk>/files/", trading_views.listing_upload, name="listing-upload"),
    path("listings/<int:pk>/files/<int:attachment_id>/", trading_views.listing_file, name="listing-file"),
    path("listings/<int:pk>/files/<int:attachment_id>/delete/", trading_views.listing_file_delete, name="listing-file-delete"),
    path("listings/<int:pk>/open-licence/", trading_views.open_licence_take, name="open-licence-take"),
    path("", include("listings.deals.urls")),
    *_actions("listings", trading_views.listing_action, trading_views.OWNER_LISTING_ACTIONS, "listing"),
    path("demands/", demand_views.demand_board, name="demand-board"),
    path("demands/new/", demand_views.demand_create, name="demand-create"),
    path("demands/<int:pk>/", demand_views.demand_detail, name="demand-detail"),
    path("demands/<int:pk>/edit/", demand_views.demand_edit, name="demand-edit"),
    *_actions("demands", demand_views.demand_action, demand_views.OWNER_DEMAND_ACTIONS, "demand"),
    path("me/", member_views.member_home, name="member-home"),
    path("me/listings/", trading_views.my_listings, name="my-listings"),
    path("me/demands/", demand_views.my_demands, name="my-demands"),
    *_actions("review/listings", trading_views.review_listing, trading_views.REVIEW_LISTING_ACTIONS, "review-listing"),
    *_actions("review/demands", demand_views.review_demand, demand_views.REVIEW_DEMAND_ACTIONS, "review-demand"),
    *_actions(
        "review/authorisations", trading_views.review_authorisation, trading_views.REVIEW_AUTHORISATION_ACTIONS,
        "review-authorisation", key="attachment_id",
    ),
    path("review/patentees/<int:pk>/confirm/", catalogue_views.review_patentee_confirm, name="review-patentee-confirm"),
]
