"""Room sockets re-check their access when something that granted it may have gone: a membership changed or
ended, a user's account changed (deactivated, staff removed), a broker row of the deal was removed.

Each receiver tells the sockets concerned through their channel-layer group after the commit; the socket then
reads its access afresh and closes with 4403 if it lost it (``consumers.DealRoomConsumer.room_access``).
Gaining access needs no message: nobody is connected to a room they could not enter.
"""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from listings.deals.services.room import room_group, room_layer_alias, user_group

logger = logging.getLogger(__name__)


def _tell(group: str) -> None:
    def send() -> None:
        layer = get_channel_layer(room_layer_alias())
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "room.access"})
        except Exception:  # the sockets still re-check after ACCESS_RECHECK_SECONDS
            logger.exception("could not tell %s to re-check its access", group)

    transaction.on_commit(send)


def on_membership_changed(sender, instance, created: bool = False, **kwargs) -> None:
    if not created:
        _tell(user_group(instance.user_id))


def on_user_saved(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    _tell(user_group(instance.pk))


def on_broker_removed(sender, instance, **kwargs) -> None:
    _tell(room_group(instance.deal_id))
