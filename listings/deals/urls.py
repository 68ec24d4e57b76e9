"""Deal pages under /me/deals/, /deals/ and /listings/<id>/deal/; one URL (and URL name) per action."""
from django.urls import path

from listings.deals import views

app_name = "deals"
urlpatterns = [
    path("me/deals/", views.my_deals, name="my-deals"),
    path("deals/operator/", views.operator_deals, name="operator-deals"),
    path("listings/<int:listing_pk>/deal/", views.deal_open, name="deal-open"),
    path("matches/<int:match_pk>/deal/", views.deal_open_from_match, name="deal-open-match"),
    path("deals/<int:pk>/", views.deal_room, name="deal-room"),
    path("deals/<int:pk>/messages/", views.deal_post, name="deal-post"),
    path("deals/<int:pk>/offers/new/", views.offer_new, name="offer-new"),
    *[
        path(f"deals/<int:pk>/offers/<int:offer_pk>/{action}/", views.offer_action, {"action": action}, name=f"offer-{action}")
        for action in views.OFFER_ACTIONS
    ],
    path("deals/<int:pk>/commission/", views.commission, name="commission"),
    path("deals/<int:pk>/brokers/", views.broker, name="broker"),
    *[
        path(f"deals/<int:pk>/brokers/<int:broker_pk>/{action}/", views.broker_action, {"action": action}, name=f"broker-{action}")
        for action in views.BROKER_ACTIONS
    ],
    path("deals/<int:pk>/documents/", views.document_upload, name="document-upload"),
    path("deals/<int:pk>/documents/<int:document_pk>/", views.document_download, name="document-download"),
    path("deals/<int:pk>/nda/", views.nda_accept, name="nda-accept"),
    path("deals/<int:pk>/review/", views.review_report, name="deal-review"),
    *[
        path(f"deals/<int:pk>/review/{action}/", views.review_action, {"action": action}, name=f"review-{action}")
        for action in views.REVIEW_ACTIONS
    ],
    path("deals/<int:pk>/contract/", views.contract_view, name="deal-contract"),
    path("deals/<int:pk>/contract.pdf", views.contract_pdf, name="deal-contract-pdf"),
    path("deals/<int:pk>/contract/confirm/", views.contract_confirm, name="contract-confirm"),
    *[
        path(f"deals/<int:pk>/{action}/", views.deal_action, {"action": action}, name=f"deal-{action}")
        for action in views.DEAL_ACTIONS
    ],
]
