"""The deal room's record: every message gets the deal's next sequence number, then goes live after commit."""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from listings.deals.models import Deal, DealMessage, MessageKind

logger = logging.getLogger(__name__)

MAX_CHAT = 4000
ROOM_LAYER = "deals"  # its own channel layer when configured (Redis pub/sub, settings), else the default one


def room_layer_alias() -> str:
    return ROOM_LAYER if ROOM_LAYER in settings.CHANNEL_LAYERS else DEFAULT_CHANNEL_LAYER


def room_group(deal_id: int) -> str:
    return f"deal-{deal_id}"


def user_group(user_id: int) -> str:
    """Every room socket of one user joins this group: a change of that user's memberships reaches them all."""
    return f"deal-user-{user_id}"


def message_payload(message: DealMessage) -> dict:
    return {
        "type": "message",
        "seq": message.seq,
        "kind": message.kind,
        "author": message.author_id,
        "author_name": message.author.get_username() if message.author is not None else "",
        "body": message.body,
        "payload": message.payload,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
    }


def broadcast(deal_id: int, event: dict) -> None:
    """Send one event to every open socket of the room (errors are logged: the row is the record)."""
    layer = get_channel_layer(room_layer_alias())
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(room_group(deal_id), {"type": "room.event", "event": event})
    except Exception:
        logger.exception("could not broadcast to deal %s", deal_id)


@transaction.atomic
def room_record(
    *, deal: Deal, kind: str, author: User | None, body: str = "", payload: dict | None = None, client_id: str = "",
    live: bool = True,
) -> DealMessage:
    """Append one message under the deal's row lock (gap-free ``seq``); a repeated ``client_id`` of the same
    author returns the message already stored instead of a duplicate.

    ``live=False`` leaves the broadcast to the caller, which must send ``message_payload`` to the room after the
    commit: the socket consumer does so on its own event loop instead of holding a database thread on Redis."""
    locked = Deal.objects.select_for_update().only("pk", "next_seq").get(pk=deal.pk)
    return room_append(locked=locked, kind=kind, author=author, body=body, payload=payload, client_id=client_id,
                       live=live)


def room_append(
    *, locked: Deal, kind: str, author: User | None, body: str = "", payload: dict | None = None, client_id: str = "",
    live: bool = True,
) -> DealMessage:
    """``room_record`` for a caller already inside a transaction holding the deal's row lock (``locked``)."""
    if client_id and author is not None:
        existing = DealMessage.objects.filter(deal=locked, author=author, client_id=client_id).select_related("author").first()
        if existing is not None:
            return existing
    seq = locked.next_seq
    Deal.objects.filter(pk=locked.pk).update(next_seq=seq + 1)
    locked.next_seq = seq + 1  # the next append under the same lock
    message = DealMessage.objects.create(
        deal_id=locked.pk, seq=seq, kind=kind, author=author, body=body, payload=payload or {}, client_id=client_id
    )
    if live:
        event = message_payload(message)
        transaction.on_commit(lambda: broadcast(locked.pk, event))
    return message


def room_event(deal: Deal, event: str, *, by: User | None = None, body: str = "", **data) -> DealMessage:
    """A recorded event (status change, offer, broker, document, NDA, review, contract)."""
    return room_record(deal=deal, kind=MessageKind.EVENT, author=by, body=body, payload={"event": event, **data})


def messages_since(deal: Deal, last_seq: int, *, limit: int = 1000) -> list[DealMessage]:
    return list(deal.messages.filter(seq__gt=last_seq).select_related("author").order_by("seq")[:limit])
