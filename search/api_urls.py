"""The search API route: ``GET /api/search/patents``."""
from django.urls import path

from search import api

urlpatterns = [
    path("patents", api.PatentSearchView.as_view(), name="api-search-patents"),
    path("autocomplete", api.AutocompleteView.as_view(), name="api-search-autocomplete"),
    path("fields", api.FieldSuggestionsView.as_view(), name="api-search-fields"),
]
