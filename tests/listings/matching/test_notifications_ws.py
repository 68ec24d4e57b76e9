"""The live bell's WebSocket: signed-in users only, own notifications pushed after notify(),
every client message checked. Runs on the in-memory layer and on the real Redis layer."""
from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from marketplace.models import Notification
from marketplace.notifications import notify
from marketplace.routing import websocket_urlpatterns
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": f"test-{uuid.uuid4().hex[:8]}"},
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    """The consumer's database work runs in asgiref's worker thread; close its connection after each test."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


async def connect(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/notifications/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "unread"
    return communicator


make_user = database_sync_to_async(lambda name: UserFactory(username=name))
send_notification = database_sync_to_async(
    lambda user, title: notify(users=[user], verb="demand.matches", title=title, body="b", url="/x/")
)


async def test_anonymous_is_rejected(layer):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/notifications/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_own_notification_is_pushed_live_and_others_are_not(layer):
    alice, bob = await make_user("alice"), await make_user("bob")
    ws = await connect(alice)
    await send_notification(alice, "新的匹配")
    message = await ws.receive_json_from(timeout=5)
    assert message["type"] == "notification"
    assert message["notification"]["title"] == "新的匹配"
    assert message["unread"] == 1
    await send_notification(bob, "给 bob 的")
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_mark_read_of_someone_elses_notification_is_refused(layer):
    alice, bob = await make_user("alice"), await make_user("bob")
    [theirs] = await send_notification(bob, "bob only")
    ws = await connect(alice)
    await ws.send_json_to({"action": "mark_read", "id": theirs.pk})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error"
    assert reply["field"] == "id"
    unread = await database_sync_to_async(lambda: Notification.objects.get(pk=theirs.pk).read_at)()
    assert unread is None
    await ws.disconnect()


async def test_mark_read_own_notification(layer):
    alice = await make_user("alice")
    [mine] = await send_notification(alice, "mine")
    ws = await connect(alice)
    await ws.send_json_to({"action": "mark_read", "id": mine.pk})
    reply = await ws.receive_json_from(timeout=5)
    assert reply == {"type": "marked_read", "id": mine.pk, "unread": 0}
    read_at = await database_sync_to_async(lambda: Notification.objects.get(pk=mine.pk).read_at)()
    assert read_at is not None
    await ws.disconnect()


@pytest.mark.parametrize("bad_id", ["abc", None, -3, 1.5, True])
async def test_malformed_id_names_the_field(layer, bad_id):
    alice = await make_user("alice")
    ws = await connect(alice)
    await ws.send_json_to({"action": "mark_read", "id": bad_id})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error" and reply["field"] == "id"
    await ws.disconnect()


async def test_malformed_json_is_answered_and_connection_stays(layer):
    alice = await make_user("alice")
    [mine] = await send_notification(alice, "mine")
    ws = await connect(alice)
    await ws.send_to(text_data="{not json")
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error" and reply["field"] == "message"
    await ws.send_to(text_data="[1, 2]")
    assert (await ws.receive_json_from(timeout=5))["type"] == "error"
    await ws.send_json_to({"action": "explode"})
    assert (await ws.receive_json_from(timeout=5))["field"] == "action"
    await ws.send_json_to({"action": "mark_read", "id": mine.pk})
    assert (await ws.receive_json_from(timeout=5))["type"] == "marked_read"
    await ws.disconnect()


async def test_mark_all_read(layer):
    alice, bob = await make_user("alice"), await make_user("bob")
    await send_notification(alice, "1")
    await send_notification(alice, "2")
    [theirs] = await send_notification(bob, "3")
    ws = await connect(alice)
    await ws.send_json_to({"action": "mark_all_read"})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "marked_all_read" and reply["count"] == 2
    assert await database_sync_to_async(lambda: Notification.objects.get(pk=theirs.pk).read_at)() is None
    await ws.disconnect()


async def test_deactivated_user_is_cut_off_on_next_message(layer):
    alice = await make_user("alice")
    ws = await connect(alice)
    await database_sync_to_async(lambda: type(alice).objects.filter(pk=alice.pk).update(is_active=False))()
    await ws.send_json_to({"action": "mark_all_read"})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error" and reply["field"] == "user"
    assert (await ws.receive_output(timeout=5))["type"] == "websocket.close"
