"""Django views of the exhibition site; the Wagtail page tree (home, zones, agencies) is served after these."""
from django.urls import path

from cms import views

app_name = "cms"
urlpatterns = [
    path("patents/", views.patent_list, name="patent-list"),
    path("patents/map/", views.patent_map, name="patent-map"),
    path("patents/<str:publication_number>/", views.patent_detail, name="patent-detail"),
]
