"""The deal room socket: JSON frames for chat, live offer and status events, presence, typing and resume by ``last_seq``.

Access is checked on connect and again on every frame (a member who left the organisation, or a broker
whose invitation ended, is refused at once). Bad frames get an ``error`` frame naming the problem; the
socket stays open. Every persisted message carries the deal's gap-free ``seq``.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied

from listings.deals import access, selectors
from listings.deals.models import Deal
from listings.deals.services import parties
from listings.deals.services.room import message_payload, room_group
from marketplace.kernel.errors import DomainError

CLOSE_FORBIDDEN = 4403
MAX_FRAME = 8192
FRAME_TYPES = ("chat", "typing", "resume", "ping")


class DealRoomConsumer(AsyncWebsocketConsumer):
    deal_id: int = 0  # set on an accepted connect
    user_id: int = 0
    sent_seq: int = 0  # the highest seq this socket has delivered: nothing is sent twice

    async def connect(self):
        user = self.scope.get("user")
        deal_id = self.scope["url_route"]["kwargs"]["deal_id"]
        if user is None or not user.is_authenticated or not await self._may_view(user.pk, deal_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.deal_id, self.user_id, self.username = deal_id, user.pk, user.get_username()
        self.group = room_group(deal_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        query = parse_qs((self.scope.get("query_string") or b"").decode())
        last_seq = _int((query.get("last_seq") or ["0"])[0])
        await self._send({"type": "hello", "deal": deal_id, "user": user.pk})
        await self._replay(last_seq or 0)
        await self.channel_layer.group_send(self.group, {"type": "room.presence", "user": user.pk,
                                                         "name": self.username, "state": "joined"})

    async def disconnect(self, code):
        if self.deal_id:
            await self.channel_layer.group_send(self.group, {"type": "room.presence", "user": self.user_id,
                                                             "name": self.username, "state": "left"})
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self._error("frame", "frame_not_text", "需要 JSON 文本帧 / expected a JSON text frame")
            return
        if len(text_data) > MAX_FRAME:
            await self._error("frame", "frame_too_large", f"帧超过 {MAX_FRAME} 字节 / frame larger than {MAX_FRAME} bytes")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._error("frame", "malformed_json", "不是合法的 JSON / malformed JSON")
            return
        if not isinstance(frame, dict):
            await self._error("frame", "not_an_object", "帧必须是 JSON 对象 / a frame is a JSON object")
            return
        kind = frame.get("type")
        if kind not in FRAME_TYPES:
            await self._error("type", "unknown_type", f"未知的帧类型 {str(kind)[:40]!r}，可用：{', '.join(FRAME_TYPES)} / unknown type")
            return
        if not await self._may_view(self.user_id, self.deal_id):
            await self._error("user", "not_permitted", "您已无权进入此交易室 / you may no longer use this room")
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "typing":
            await self.channel_layer.group_send(self.group, {"type": "room.typing", "user": self.user_id, "name": self.username})
        elif kind == "resume":
            last_seq = frame.get("last_seq")
            if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
                await self._error("last_seq", "invalid", "last_seq 须为非负整数 / last_seq is a non-negative integer")
                return
            await self._replay(last_seq)
        elif kind == "chat":
            body, client_id = frame.get("body"), frame.get("client_id") or ""
            if not isinstance(body, str) or not isinstance(client_id, str):
                await self._error("body", "invalid", "body 与 client_id 须为字符串 / body and client_id are strings")
                return
            try:
                message = await self._chat(body, client_id)
            except DomainError as exc:
                await self._error(exc.field, exc.code, exc.message)
                return
            except PermissionDenied as exc:
                await self._error("user", "not_permitted", str(exc))
                return
            await self._send({"type": "ack", "client_id": client_id, "seq": message.seq})

    # group events ------------------------------------------------------------------------------
    async def room_event(self, event):
        payload = event["event"]
        seq = payload.get("seq")
        if isinstance(seq, int):
            if seq <= self.sent_seq:
                return
            self.sent_seq = seq
        await self._send(payload)

    async def room_presence(self, event):
        await self._send({"type": "presence", "user": event["user"], "name": event["name"], "state": event["state"]})

    async def room_typing(self, event):
        if event["user"] != self.user_id:
            await self._send({"type": "typing", "user": event["user"], "name": event["name"]})

    # helpers -----------------------------------------------------------------------------------
    async def _replay(self, last_seq: int):
        for payload in await self._since(last_seq):
            await self._send(payload)
            self.sent_seq = max(self.sent_seq, payload["seq"])
        self.sent_seq = max(self.sent_seq, last_seq)
        await self._send({"type": "caught_up", "last_seq": await self._head()})

    @database_sync_to_async
    def _may_view(self, user_id, deal_id) -> bool:
        from django.contrib.auth.models import User

        user = User.objects.filter(pk=user_id, is_active=True).first()
        deal = Deal.objects.filter(pk=deal_id).first()
        return bool(user and deal and access.can_view_deal(user, deal))

    @database_sync_to_async
    def _since(self, last_seq: int) -> list[dict]:
        return [message_payload(m) for m in selectors.messages_since(Deal(pk=self.deal_id), last_seq)]

    @database_sync_to_async
    def _head(self) -> int:
        return (Deal.objects.filter(pk=self.deal_id).values_list("next_seq", flat=True).first() or 1) - 1

    @database_sync_to_async
    def _chat(self, body: str, client_id: str):
        from django.contrib.auth.models import User

        deal = Deal.objects.get(pk=self.deal_id)
        return parties.chat_post(deal=deal, by=User.objects.get(pk=self.user_id), body=body, client_id=client_id)

    async def _send(self, payload: dict):
        await self.send(text_data=json.dumps(payload, ensure_ascii=False, default=str))

    async def _error(self, field: str, code: str, message: str):
        await self._send({"type": "error", "field": field, "code": code, "error": message})


def _int(text: str) -> int | None:
    try:
        return max(0, int(text))
    except (TypeError, ValueError):
        return None
