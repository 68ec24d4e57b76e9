"""WebSocket routes: every consumer checks the user's rights on each message it handles."""
from django.urls import path

from listings.deals.consumers import DealRoomConsumer
from marketplace.consumers import NotificationConsumer

websocket_urlpatterns: list = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/deals/<int:deal_id>/", DealRoomConsumer.as_asgi()),
]
