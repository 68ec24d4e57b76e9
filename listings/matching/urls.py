"""The matching pages: a demand's matches, matching demands for a holder, saved searches."""
from django.urls import path

from listings.matching import views

app_name = "matching"
urlpatterns = [
    path("demands/<int:pk>/matches/", views.demand_matches, name="demand-matches"),
    path("me/matching-demands/", views.matching_demands, name="matching-demands"),
    path("me/saved-searches/", views.saved_search_list, name="saved-search-list"),
    path("me/saved-searches/<int:pk>/delete/", views.saved_search_delete, name="saved-search-delete"),
    path("me/saved-searches/<int:pk>/frequency/", views.saved_search_frequency, name="saved-search-frequency"),
]
