"""The ASGI guards in front of Django and Channels: the request-body cap (413 before Django reads a byte, for a
declared ``Content-Length`` and for streamed bodies alike) and the WebSocket full-origin check (scheme, host and
port, not the host alone)."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin1")
    return None


async def _answer(send: Send, status: int, field: str, message: str) -> None:
    body = json.dumps({"detail": message, "errors": {field: [message]}}, ensure_ascii=False).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})


class RequestBodyLimit:
    """Answer 413 to any HTTP request whose body exceeds ``settings.MAX_REQUEST_BODY_BYTES``.

    A declared ``Content-Length`` above the cap is refused before the body is read; a chunked or lying body is
    counted as it arrives and cut off at the cap (Django then sees a disconnect and answers nothing itself), so no
    oversized body is ever spooled to disk.
    """

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def limit(self) -> int:
        return self.max_bytes if self.max_bytes is not None else int(settings.MAX_REQUEST_BODY_BYTES)

    def message(self, limit: int) -> str:
        return f"请求体过大，上限 {limit // (1024 * 1024)} MB / request body too large (limit {limit} bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _answer(send, 400, "content-length", "Content-Length 无效 / invalid Content-Length")
                return
            if int(declared) > limit:
                await _answer(send, 413, "body", self.message(limit))
                return
        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _answer(send, 413, "body", self.message(limit))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)


def _origin_tuple(origin: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def websocket_origin_allowed(scope: Scope) -> bool:
    """The Origin must be this very site (the scheme the socket came in on, the Host header's host and port) or
    one of ``CSRF_TRUSTED_ORIGINS``; the Host must be in ``ALLOWED_HOSTS``. A missing Origin is refused."""
    origin_header = _header(scope, b"origin")
    host_header = _header(scope, b"host")
    if not origin_header or not host_header:
        return False
    origin = _origin_tuple(origin_header)
    if origin is None:
        return False
    domain, _port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    own = _origin_tuple(f"{scheme}://{host_header}")
    trusted = {_origin_tuple(value) for value in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}
    return origin == own or origin in trusted


class WebSocketOriginValidator:
    """Closes a WebSocket handshake whose Origin is not exactly this site (``websocket_origin_allowed``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": 4403})
            return
        await self.app(scope, receive, send)
