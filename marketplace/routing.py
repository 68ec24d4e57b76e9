"""WebSocket routes: every consumer checks the user's rights on each message it handles."""
websocket_urlpatterns: list = []
