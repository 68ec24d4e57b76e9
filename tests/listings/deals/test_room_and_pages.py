"""The deal room socket (access on connect and per frame, bad frames, resume by last_seq) and page permissions."""
from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from listings.deals.services import parties
from marketplace.routing import websocket_urlpatterns

LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


class _User:
    """Inject a scope user the way AuthMiddlewareStack would."""

    def __init__(self, app, user):
        self.app, self.user = app, user

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "user": self.user}, receive, send)


def _communicator(user, deal_id, query=""):
    app = _User(URLRouter(websocket_urlpatterns), user)
    return WebsocketCommunicator(app, f"/ws/deals/{deal_id}/{query}")


async def _drain_until(comm, kind):
    seen = []
    while True:
        frame = json.loads(await comm.receive_from(timeout=5))
        seen.append(frame)
        if frame["type"] == kind:
            return seen


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_outsider_is_refused_and_party_chats_with_errors_named(started, demander, outsider):
    comm = _communicator(outsider, started.pk)
    connected, code = await comm.connect()
    assert not connected and code == 4403

    comm = _communicator(demander, started.pk)
    connected, _ = await comm.connect()
    assert connected
    frames = await _drain_until(comm, "caught_up")
    assert [f["seq"] for f in frames if f["type"] == "message"] == [1, 2]
    await comm.send_to(text_data="{not json")
    assert (await _drain_until(comm, "error"))[-1]["code"] == "malformed_json"
    await comm.send_to(text_data=json.dumps({"type": "chat", "body": "x" * 9000}))
    assert (await _drain_until(comm, "error"))[-1]["code"] == "frame_too_large"
    await comm.send_to(text_data=json.dumps({"type": "shout"}))
    assert (await _drain_until(comm, "error"))[-1]["code"] == "unknown_type"
    await comm.send_to(text_data=json.dumps({"type": "chat", "body": "您好，请问是否可以分期？", "client_id": "c1"}))
    frames = await _drain_until(comm, "ack")
    assert any(f.get("type") == "message" and f["seq"] == 3 for f in frames) or frames[-1]["seq"] == 3
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_reconnect_with_last_seq_gets_what_was_missed_in_order(started, demander, holder):
    comm = _communicator(demander, started.pk, "?last_seq=2")
    assert (await comm.connect())[0]
    await _drain_until(comm, "caught_up")
    await comm.disconnect()
    for i in range(3):
        await database_sync_to_async(parties.chat_post)(deal=started, by=holder, body=f"消息{i}", client_id=f"h{i}")
    await database_sync_to_async(parties.chat_post)(deal=started, by=holder, body="消息0", client_id="h0")  # retry: no duplicate
    comm = _communicator(demander, started.pk, "?last_seq=2")
    assert (await comm.connect())[0]
    frames = await _drain_until(comm, "caught_up")
    assert [f["seq"] for f in frames if f["type"] == "message"] == [3, 4, 5]
    assert frames[-1]["last_seq"] == 5
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("room_layer", ["channels_redis.core.RedisChannelLayer", "channels_redis.pubsub.RedisPubSubChannelLayer"])
async def test_room_over_real_redis(redis_url, started, demander, holder, room_layer):
    """The room on its own layer as configured with Redis (pub/sub), and on the default layer alone."""
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}},
              "deals": {"BACKEND": room_layer, "CONFIG": {"hosts": [redis_url]}}}
    with override_settings(CHANNEL_LAYERS=layers):
        a, b = _communicator(demander, started.pk), _communicator(holder, started.pk)
        assert (await a.connect())[0] and (await b.connect())[0]
        await _drain_until(a, "caught_up")
        await _drain_until(b, "caught_up")
        await a.send_to(text_data=json.dumps({"type": "chat", "body": "redis", "client_id": "r1"}))
        frames = await _drain_until(b, "message")
        while frames[-1].get("body") != "redis":
            frames = await _drain_until(b, "message")
        await a.disconnect()
        await b.disconnect()


def test_pages_are_404_to_outsiders_and_render_for_parties(client, started, outsider, demander, operator):
    client.force_login(outsider)
    assert client.get(f"/deals/{started.pk}/").status_code == 404
    assert client.post(f"/deals/{started.pk}/messages/", {"body": "hi"}).status_code == 404
    assert client.get(f"/deals/{started.pk}/review/").status_code == 404
    assert client.get("/deals/operator/").status_code == 403
    client.force_login(demander)
    page = client.get(f"/deals/{started.pk}/")
    assert page.status_code == 200 and "room-form" in page.content.decode()
    response = client.post(f"/deals/{started.pk}/messages/", {"body": "无脚本也能发言"})
    assert response.status_code == 302
    assert started.messages.filter(body="无脚本也能发言").exists()
    assert client.get("/me/deals/").status_code == 200
    client.force_login(operator)
    assert client.get("/deals/operator/").status_code == 200


def test_confidential_document_needs_the_nda(client, started, holder, demander):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("技术说明.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")
    document = parties.document_upload(deal=started, by=holder, upload=pdf, confidential=True)
    client.force_login(demander)
    assert client.get(f"/deals/{started.pk}/documents/{document.pk}/").status_code == 403
    parties.nda_accept(deal=started, by=demander, text_sha256=started.nda_sha256)
    assert client.get(f"/deals/{started.pk}/documents/{document.pk}/").status_code == 200


def test_api_hides_other_deals_and_resumes_messages(client, started, outsider, demander):
    client.force_login(outsider)
    assert client.get(f"/api/deals/{started.pk}/").status_code == 404
    assert client.post(f"/api/deals/{started.pk}/chat/", {"body": "hi"}).status_code == 404
    client.force_login(demander)
    assert client.post(f"/api/deals/{started.pk}/chat/", {"body": "API 消息"}).json()["seq"] == 3
    assert [m["seq"] for m in client.get(f"/api/deals/{started.pk}/messages/?last_seq=1").json()] == [2, 3]
    assert client.post(f"/api/deals/{started.pk}/close/").status_code == 409
