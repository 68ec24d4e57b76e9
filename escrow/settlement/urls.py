"""Escrow pages under /escrow/ and the Stripe webhook."""
from django.urls import path

from escrow.settlement import views

app_name = "settlement"
urlpatterns = [
    path("deals/<int:deal_pk>/", views.escrow_page, name="escrow"),
    path("deals/<int:deal_pk>/<str:action>/", views.escrow_action, name="escrow-action"),
    path("operator/", views.operator_desk, name="operator"),
    path("statements/exchange/", views.exchange_statement, name="statement-exchange"),
    path("statements/<int:org_pk>/", views.party_statement, name="statement"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
