"""The live bell: one WebSocket per open page, joined to the user's group ``user-<id>``.

Only signed-in users connect. Each client message is checked on its own: the user must still be
active, and ``mark_read`` goes through ``marketplace.inbox``, which refuses anything but the
user's own notifications. Bad input is answered with an error naming the field; the socket stays open.
"""
from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from marketplace import inbox
from marketplace.notifications import user_group

CLOSE_UNAUTHENTICATED = 4401
MAX_MESSAGE = 4096


class NotificationConsumer(AsyncWebsocketConsumer):
    user_id: int | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send({"type": "unread", "unread": await self._unread()})

    async def disconnect(self, code):
        if self.user_id is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # client → server -------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_MESSAGE:
            await self._error("message", "需要不超过 4 KB 的 JSON 文本 / expected a JSON text message up to 4 KB")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("message", "消息不是合法的 JSON / malformed JSON")
            return
        if not isinstance(message, dict):
            await self._error("message", "消息必须是 JSON 对象 / expected a JSON object")
            return
        user = await self._current_user()
        if user is None:
            await self._error("user", "登录已失效 / you are no longer signed in")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        action = message.get("action")
        if action == "mark_read":
            try:
                notification = await database_sync_to_async(inbox.notification_mark_read)(
                    user=user, notification_id=message.get("id")
                )
            except inbox.InboxError as exc:
                await self._error(exc.field, exc.message)
                return
            await self._send({"type": "marked_read", "id": notification.pk, "unread": await self._unread()})
        elif action == "mark_all_read":
            count = await database_sync_to_async(inbox.notifications_mark_all_read)(user=user)
            await self._send({"type": "marked_all_read", "count": count, "unread": 0})
        else:
            await self._error("action", "未知操作，可用 mark_read、mark_all_read / unknown action")

    # server → client -------------------------------------------------------------------------
    async def notification_created(self, event):
        """``marketplace.notifications.notify`` pushes here through the group after commit."""
        await self._send({"type": "notification", "notification": event["notification"], "unread": event.get("unread")})

    # helpers -----------------------------------------------------------------------------------
    async def _send(self, payload: dict):
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))

    async def _error(self, field: str, message: str):
        await self._send({"type": "error", "field": field, "error": message})

    @database_sync_to_async
    def _current_user(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(pk=self.user_id, is_active=True).first()

    @database_sync_to_async
    def _unread(self) -> int:
        from django.contrib.auth import get_user_model

        user = get_user_model()(pk=self.user_id)
        return inbox.unread_count(user=user)
