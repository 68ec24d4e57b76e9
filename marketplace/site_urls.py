"""Pages of the signed-in user's own things: notifications (``notifications:``) and matching and saved
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

urlpatterns = [
    path("me/notifications/", include(notification_patterns)),
    path("", include("listings.matching.urls")),
]
