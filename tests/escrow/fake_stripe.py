"""A local fake of the few Stripe endpoints the Stripe rail uses (PaymentIntents, Transfers, Refunds), on
127.0.0.1 at a random port. It records every request (path, form, idempotency key) and replays the stored response
for a repeated idempotency key, as Stripe does; and it signs webhook events with a test secret."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import stripe

WEBHOOK_SECRET = "whsec_test_secret"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    idempotency_key: str | None
    authorization: str


@dataclass
class FakeStripe:
    requests: list[Recorded] = field(default_factory=list)
    objects: dict[str, dict] = field(default_factory=dict)
    by_key: dict[str, dict] = field(default_factory=dict)
    refund_status: str = "succeeded"
    counter: int = 0
    url: str = ""

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter:06d}"

    def handle(self, method: str, path: str, form: dict[str, str], key: str | None) -> tuple[int, dict]:
        if key and key in self.by_key:
            return 200, self.by_key[key]
        meta = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
        if method == "POST" and path == "/v1/payment_intents":
            pid = self.new_id("pi")
            body = {"id": pid, "object": "payment_intent", "amount": int(form["amount"]), "currency": form["currency"],
                    "status": "requires_payment_method", "client_secret": f"{pid}_secret_x", "metadata": meta,
                    "transfer_group": form.get("transfer_group"),
                    "payment_method_types": [v for k, v in form.items() if k.startswith("payment_method_types")]}
        elif method == "POST" and path == "/v1/transfers":
            body = {"id": self.new_id("tr"), "object": "transfer", "amount": int(form["amount"]), "currency": form["currency"],
                    "destination": form["destination"], "transfer_group": form.get("transfer_group"), "metadata": meta}
        elif method == "POST" and path == "/v1/refunds":
            intent = self.objects.get(form["payment_intent"])
            if intent is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}
            body = {"id": self.new_id("re"), "object": "refund", "amount": int(form["amount"]), "currency": intent["currency"],
                    "payment_intent": form["payment_intent"], "status": self.refund_status, "metadata": meta}
        else:
            return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method} {path})"}}
        self.objects[body["id"]] = body
        if key:
            self.by_key[key] = body
        return 200, body

    def event(self, type: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
        return {"id": event_id or self.new_id("evt"), "object": "event", "type": type, "created": created or int(time.time()),
                "api_version": "2025-01-01", "data": {"object": obj}}

    @staticmethod
    def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
        ts = timestamp or int(time.time())
        signature = stripe.WebhookSignature._compute_signature(f"{ts}.{payload.decode()}", secret)
        return f"t={ts},v1={signature}"

    def succeeded(self, intent_id: str) -> dict:
        intent = dict(self.objects[intent_id], status="succeeded")
        intent["amount_received"] = intent["amount"]
        self.objects[intent_id] = intent
        return intent


def serve(fake: FakeStripe) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            key = self.headers.get("Idempotency-Key")
            fake.requests.append(Recorded(self.command, self.path, form, key, self.headers.get("Authorization", "")))
            status, body = fake.handle(self.command, self.path.split("?")[0], form, key)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
