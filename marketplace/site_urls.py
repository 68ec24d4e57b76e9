"""Pages of the signed-in user's own things: organisations and the operator console (``marketplace:``),
notifications (``notifications:``) and matching and saved
searches (``matching:``, from ``listings.matching.urls``). Mounted before the listing pages, whose
``demands/<id>/<action>/`` pattern would otherwise swallow ``demands/<id>/matches/``."""
from django.urls import include, path

from marketplace import views

notification_patterns = (
    [
        path("", views.notification_list, name="list"),
        path("<int:pk>/read/", views.notification_read, name="read"),
        path("read-all/", views.notification_read_all, name="read-all"),
        path("preferences/", views.notification_preferences, name="preferences"),
    ],
    "notifications",
)

party_patterns = (
    [
        path("me/organisations/", views.my_organisations, name="my-organisations"),
        path("me/tokens/", views.api_token_list, name="api-tokens"),
        path("me/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
        path("me/tokens/legacy/revoke/", views.api_token_revoke_legacy, name="api-token-revoke-legacy"),
        path("review/", views.review_queue, name="review-queue"),
        *[
            path(f"review/organisations/<int:pk>/{action}/", views.review_organisation, {"action": action},
                 name=f"review-organisation-{action}")
            for action in views.REVIEW_ORGANISATION_ACTIONS
        ],
    ],
    "marketplace",
)

urlpatterns = [
    path("me/notifications/", include(notification_patterns)),
    path("", include(party_patterns)),
    path("", include("listings.matching.urls")),
]
