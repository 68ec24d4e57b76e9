"""The deal room socket: JSON frames for chat, live offer and status events, presence, typing and resume by ``last_seq``.

Access is checked on connect and holds for every frame while nothing that grants it changes: a change of the
user's memberships or account (``receivers.py``), or of the deal's brokers, reaches every socket concerned through
its groups and the socket re-checks at once (closing with 4403 when refused); a socket also re-checks on the first
frame after ``ACCESS_RECHECK_SECONDS``. Storing a chat message checks access again, in its own transaction.

Delivery is in ``seq`` order and exactly once per socket: a message that arrives ahead of a gap (two writers of one
room publish in either order) is held back until the gap fills, live or, after ``GAP_WAIT_SECONDS``, from the
database. Bad frames get an ``error`` frame naming the problem; the socket stays open. Database work runs on the
room's thread pool (``roomdb``), never on the event loop and never all on one thread.
"""
from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from listings.deals import access, roomdb, selectors
from listings.deals.models import Deal
from listings.deals.services import parties
from listings.deals.services.room import message_payload, room_group, room_layer_alias, user_group
from marketplace.kernel.errors import DomainError

CLOSE_FORBIDDEN = 4403
MAX_FRAME = 8192
FRAME_TYPES = ("chat", "typing", "resume", "ping")
ACCESS_RECHECK_SECONDS = 30.0
GAP_WAIT_SECONDS = 0.5
REPLAY_PAGE = 1000


class DealRoomConsumer(AsyncWebsocketConsumer):
    deal_id: int = 0  # set on an accepted connect
    user_id: int = 0
    sent_seq: int = 0  # every seq up to this one has been delivered on this socket
    access_at: float = 0.0  # monotonic time of the last access check
    user: User | None = None  # as read by the last access check
    deal: Deal | None = None
    held: dict[int, dict]  # seq → a message that arrived ahead of a gap
    gap_timer: asyncio.Task | None

    @property  # type: ignore[override]
    def channel_layer_alias(self) -> str:  # read when the consumer starts: the room's own layer if configured
        return room_layer_alias()

    async def connect(self):
        user = self.scope.get("user")
        deal_id = self.scope["url_route"]["kwargs"]["deal_id"]
        self.held = {}
        self.gap_timer = None
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        allowed = await roomdb.read(self._access, user.pk, deal_id)
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.deal_id, self.user_id, self.username = deal_id, user.pk, user.get_username()
        self.group = room_group(deal_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()
        query = parse_qs((self.scope.get("query_string") or b"").decode())
        last_seq = _int((query.get("last_seq") or ["0"])[0])
        await self._send({"type": "hello", "deal": deal_id, "user": user.pk})
        await self._replay(last_seq or 0)
        await self.channel_layer.group_send(self.group, {"type": "room.presence", "user": user.pk,
                                                         "name": self.username, "state": "joined"})

    async def disconnect(self, code):
        if self.gap_timer is not None:
            self.gap_timer.cancel()
        if self.deal_id:
            await self.channel_layer.group_send(self.group, {"type": "room.presence", "user": self.user_id,
                                                             "name": self.username, "state": "left"})
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

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
        if time.monotonic() - self.access_at > ACCESS_RECHECK_SECONDS and not await self._recheck():
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
                assert self.deal is not None and self.user is not None  # an accepted socket has both
                payload = await roomdb.chat(parties.ChatPost(deal=self.deal, by=self.user, body=body, client_id=client_id))
            except DomainError as exc:
                await self._error(exc.field, exc.code, exc.message)
                return
            except PermissionDenied as exc:
                await self._error("user", "not_permitted", str(exc))
                return
            # after the commit, from this loop: no database thread waits on Redis
            await self.channel_layer.group_send(self.group, {"type": "room.event", "event": payload})
            await self._send({"type": "ack", "client_id": client_id, "seq": payload["seq"]})

    # group events ------------------------------------------------------------------------------
    async def room_event(self, event):
        payload = event["event"]
        if isinstance(payload.get("seq"), int):
            await self._deliver([payload])
        else:
            await self._send(payload)

    async def room_presence(self, event):
        await self._send({"type": "presence", "user": event["user"], "name": event["name"], "state": event["state"]})

    async def room_typing(self, event):
        if event["user"] != self.user_id:
            await self._send({"type": "typing", "user": event["user"], "name": event["name"]})

    async def room_access(self, event):
        """Something that grants access to this room changed: check again now."""
        await self._recheck()

    async def room_fill(self, event):
        """A gap outlived ``GAP_WAIT_SECONDS``: fill it from the database (the record is the truth)."""
        self.gap_timer = None
        if self.held:
            await self._deliver(await roomdb.read(self._since, self.sent_seq))

    # helpers -----------------------------------------------------------------------------------
    async def _recheck(self) -> bool:
        if await roomdb.read(self._access, self.user_id, self.deal_id):
            return True
        await self._error("user", "not_permitted", "您已无权进入此交易室 / you may no longer use this room")
        await self.close(code=CLOSE_FORBIDDEN)
        return False

    async def _deliver(self, payloads: list[dict]):
        """Send messages in seq order, each once; hold back any that arrive ahead of a gap."""
        for payload in payloads:
            if payload["seq"] > self.sent_seq:
                self.held.setdefault(payload["seq"], payload)
        while self.sent_seq + 1 in self.held:
            self.sent_seq += 1
            await self._send(self.held.pop(self.sent_seq))
        if self.held and self.gap_timer is None:
            self.gap_timer = asyncio.ensure_future(self._fill_later())

    async def _fill_later(self):
        await asyncio.sleep(GAP_WAIT_SECONDS)
        await self.channel_layer.send(self.channel_name, {"type": "room.fill"})

    async def _replay(self, last_seq: int):
        """Everything after ``last_seq`` in order (asked again on a resume frame, so sent even if sent before)."""
        if last_seq > self.sent_seq:
            self.sent_seq = last_seq
            self.held = {seq: p for seq, p in self.held.items() if seq > last_seq}
        after = last_seq
        while True:
            page = await roomdb.read(self._since, after)
            for payload in page:
                if payload["seq"] <= self.sent_seq:
                    await self._send(payload)
            await self._deliver([p for p in page if p["seq"] > self.sent_seq])
            if len(page) < REPLAY_PAGE:
                break
            after = page[-1]["seq"]
        await self._send({"type": "caught_up", "last_seq": self.sent_seq})

    def _access(self, user_id: int, deal_id: int) -> bool:
        """Reads the user and the deal's parties afresh (both are kept for the frames that follow)."""
        self.access_at = time.monotonic()
        self.user = User.objects.filter(pk=user_id, is_active=True).first()
        self.deal = Deal.objects.filter(pk=deal_id).only("pk", "seller_id", "buyer_id").first()
        return bool(self.user and self.deal and access.can_view_deal(self.user, self.deal))

    def _since(self, last_seq: int) -> list[dict]:
        return [message_payload(m) for m in selectors.messages_since(Deal(pk=self.deal_id), last_seq, limit=REPLAY_PAGE)]

    async def _send(self, payload: dict):
        await self.send(text_data=json.dumps(payload, ensure_ascii=False, default=str))

    async def _error(self, field: str, code: str, message: str):
        await self._send({"type": "error", "field": field, "code": code, "error": message})


def _int(text: str) -> int | None:
    try:
        return max(0, int(text))
    except (TypeError, ValueError):
        return None
