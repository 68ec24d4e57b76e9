from django.urls import include, path

from listings.trading import views

app_name = "listings"
urlpatterns = [
    path("listings/", views.listing_board, name="listing-board"),
    path("listings/new/", views.listing_create, name="listing-create"),
    path("listings/<int:pk>/", views.listing_detail, name="listing-detail"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing-edit"),
    path("listings/<int:pk>/files/", views.listing_upload, name="listing-upload"),
    path("listings/<int:pk>/files/<int:attachment_id>/", views.listing_file, name="listing-file"),
    path("listings/<int:pk>/files/<int:attachment_id>/delete/", views.listing_file_delete, name="listing-file-delete"),
    path("listings/<int:pk>/open-licence/", views.open_licence_take, name="open-licence-take"),
    path("", include("listings.deals.urls")),
    path("listings/<int:pk>/<str:action>/", views.listing_action, name="listing-action"),
    path("demands/", views.demand_board, name="demand-board"),
    path("demands/new/", views.demand_create, name="demand-create"),
    path("demands/<int:pk>/", views.demand_detail, name="demand-detail"),
    path("demands/<int:pk>/edit/", views.demand_edit, name="demand-edit"),
    path("demands/<int:pk>/<str:action>/", views.demand_action, name="demand-action"),
    path("me/listings/", views.my_listings, name="my-listings"),
    path("me/demands/", views.my_demands, name="my-demands"),
    path("me/organisations/", views.my_organisations, name="my-organisations"),
    path("review/", views.review_queue, name="review-queue"),
    path("review/listings/<int:pk>/<str:action>/", views.review_listing, name="review-listing"),
    path("review/demands/<int:pk>/<str:action>/", views.review_demand, name="review-demand"),
    path("review/authorisations/<int:attachment_id>/<str:action>/", views.review_authorisation, name="review-authorisation"),
    path("review/organisations/<int:pk>/<str:action>/", views.review_organisation, name="review-organisation"),
]
