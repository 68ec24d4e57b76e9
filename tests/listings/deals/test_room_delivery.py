"""The room socket's delivery and access cache: seq order and exactly once when broadcasts cross or go missing;
access lost (a membership ended, an account deactivated) closes the socket without waiting for a frame."""
from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.test import override_settings

from listings.deals import access, consumers
from listings.deals.services import parties
from listings.deals.services.room import message_payload, room_group
from marketplace.models import Membership
from tests.listings.deals.test_room_and_pages import LAYERS, _communicator, _drain_until


async def _connected(user, deal):
    comm = _communicator(user, deal.pk)
    assert (await comm.connect())[0]
    frames = await _drain_until(comm, "caught_up")
    await _drain_until(comm, "presence")  # its own arrival
    return comm, frames[-1]["last_seq"]


async def _next(comm):
    return json.loads(await comm.receive_from(timeout=5))


async def _stored_quietly(deal, by, body):
    """A message committed whose broadcast has not (yet) happened: what a second writer leaves for a moment."""
    message = await database_sync_to_async(parties.chat_post)(deal=deal, by=by, body=body, client_id=body, live=False)
    return await database_sync_to_async(message_payload)(message)


async def _broadcast(deal, payload):
    await get_channel_layer().group_send(room_group(deal.pk), {"type": "room.event", "event": payload})


async def _messages(comm, count):
    frames = []
    while len(frames) < count:
        frame = await _next(comm)
        if frame["type"] == "message":
            frames.append(frame)
    return frames


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_broadcasts_that_cross_are_delivered_in_seq_order_once(started, demander, holder):
    comm, head = await _connected(demander, started)
    first = await _stored_quietly(started, holder, "先写入")
    second = await _stored_quietly(started, holder, "后写入")
    await _broadcast(started, second)  # the later writer published first
    assert await comm.receive_nothing(timeout=0.1)  # held back: its predecessor has not arrived
    await _broadcast(started, first)
    assert [f["seq"] for f in await _messages(comm, 2)] == [head + 1, head + 2]
    await _broadcast(started, first)  # a repeat is never sent twice
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_a_broadcast_that_never_comes_is_filled_from_the_record(started, demander, holder, monkeypatch):
    monkeypatch.setattr(consumers, "GAP_WAIT_SECONDS", 0.05)
    comm, head = await _connected(demander, started)
    await _stored_quietly(started, holder, "广播丢失")  # its broadcast is lost
    later = await _stored_quietly(started, holder, "随后一条")
    await _broadcast(started, later)
    frames = await _messages(comm, 2)
    assert [(f["seq"], f["body"]) for f in frames] == [(head + 1, "广播丢失"), (head + 2, "随后一条")]
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_a_member_who_leaves_the_organisation_is_closed_at_once(started, demander):
    comm, _ = await _connected(demander, started)
    await database_sync_to_async(lambda: Membership.objects.filter(user=demander).delete())()
    error = await _next(comm)
    assert (error["type"], error["code"]) == ("error", "not_permitted")
    assert (await comm.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4403}


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_access_is_cached_per_socket_and_read_again_after_the_interval(started, demander, monkeypatch):
    comm, _ = await _connected(demander, started)
    # deactivated behind the signals' back (a queryset update sends none): the cached check still holds …
    await database_sync_to_async(lambda: User.objects.filter(pk=demander.pk).update(is_active=False))()
    await comm.send_to(text_data=json.dumps({"type": "ping"}))
    assert await _next(comm) == {"type": "pong"}
    # … until the interval has passed: the next frame reads it again and is refused
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0.0)
    await comm.send_to(text_data=json.dumps({"type": "ping"}))
    error = await _next(comm)
    assert (error["type"], error["code"]) == ("error", "not_permitted")
    assert (await comm.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4403}


@pytest.mark.django_db
def test_the_one_query_access_check_agrees_with_the_sides(started, demander, holder, outsider, operator,
                                                          django_assert_num_queries):
    for user in (demander, holder, outsider, operator):
        expected = access.acting_side(user, started) is not None or access.permissions.is_operator(user)
        with django_assert_num_queries(0 if user.is_staff else 1):
            assert access.can_view_deal(user, started) is expected
    assert not access.can_view_deal(outsider, started) and access.can_view_deal(demander, started)


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_storing_a_chat_checks_access_even_when_the_socket_was_not_told(started, demander):
    from django.db.models.signals import post_delete

    from listings.deals import receivers

    comm, head = await _connected(demander, started)
    post_delete.disconnect(receivers.on_membership_changed, sender=Membership, dispatch_uid="deals_room_membership_deleted")
    try:
        await database_sync_to_async(lambda: Membership.objects.filter(user=demander).delete())()
    finally:
        post_delete.connect(receivers.on_membership_changed, sender=Membership, dispatch_uid="deals_room_membership_deleted")
    await comm.send_to(text_data=json.dumps({"type": "chat", "body": "还能发吗", "client_id": "x1"}))
    error = await _next(comm)
    assert (error["type"], error["code"]) == ("error", "not_permitted")
    assert await database_sync_to_async(lambda: started.messages.filter(seq__gt=head).count())() == 0
    await comm.disconnect()


@pytest.mark.django_db
def test_a_batch_of_chat_frames_is_stored_each_checked_on_its_own(started, demander, holder, outsider,
                                                                  django_assert_max_num_queries):
    from marketplace.kernel.errors import NotPermitted
    from marketplace.kernel.statemachine import RuleBroken

    before = started.messages.count()
    parties.chat_post(deal=started, by=holder, body="早先一条", client_id="h-1")
    posts = [
        parties.ChatPost(deal=started, by=demander, body="一", client_id="d-1"),
        parties.ChatPost(deal=started, by=outsider, body="外人", client_id="o-1"),
        parties.ChatPost(deal=started, by=demander, body="  ", client_id="d-2"),
        parties.ChatPost(deal=started, by=holder, body="早先一条", client_id="h-1"),  # a retry
        parties.ChatPost(deal=started, by=demander, body="二", client_id="d-3"),
        parties.ChatPost(deal=started, by=demander, body="二", client_id="d-3"),  # twice in one batch
    ]
    with django_assert_max_num_queries(9):  # whatever the batch's size
        results = parties.chat_post_many(posts=posts)
    assert isinstance(results[1], NotPermitted) and isinstance(results[2], RuleBroken)
    head = before + 1
    assert [results[i].seq for i in (0, 3, 4, 5)] == [head + 1, head, head + 2, head + 2]
    assert list(started.messages.order_by("seq").values_list("seq", flat=True)) == list(range(1, head + 3))
    started.refresh_from_db()
    assert started.next_seq == head + 3
