"""The deal-room benchmark: many WebSocket clients in many rooms through channels-redis against a real uvicorn.

It starts its own uvicorn on 127.0.0.1 (a free port) with a throw-away SQLite database, media and search index
in a temporary directory (``ZONE_VAR_DIR``), the channel layer on the Redis given (use your own db number), and
Celery on kombu's in-memory transport, so nothing reaches the configured broker, database or index. The clients
(``websockets``, one asyncio loop in this process) log in by session cookie, connect, wait until every room is
caught up, then each sends chat frames at a jittered interval. Measured:

- **round trip**: from sending a chat frame to receiving that message back as the room's broadcast (persisted,
  sequenced, published through Redis, delivered to the socket); also the ``ack``;
- **lost**: for every client, the room messages it should have received (every sequence number acknowledged in its
  room during the run) that never arrived; **duplicates**: sequence numbers delivered twice to one socket.

Writes the "## Deal room" section of docs/benchmarks.md.
"""
from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

ROLE_SIDES = (("holder", "seller"), ("demand", "buyer"))


@dataclass
class Client:
    index: int
    deal: int
    cookie: str
    received: dict[int, int] = field(default_factory=dict)  # seq → times delivered
    sent_at: dict[str, float] = field(default_factory=dict)  # client_id → send time
    round_trips: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    finished: bool = False


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "Benchmark the deal room: WebSocket clients over loopback through channels-redis; writes docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=200)
        parser.add_argument("--rooms", type=int, default=20)
        parser.add_argument("--messages", type=int, default=5, help="chat frames each client sends")
        parser.add_argument("--interval", type=float, default=2.0, help="mean seconds between a client's frames")
        parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""),
                            help="the channel layer's Redis (default $REDIS_URL); use a db of your own")
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--prepare", default="", help=argparse_hidden())

    # -- the parent: orchestrates the children and drives the clients -------------------------------
    def handle(self, *args, **options):
        if options["prepare"]:
            self._prepare(Path(options["prepare"]), options["rooms"], options["clients"])
            return
        if not options["redis_url"]:
            raise CommandError("bench_dealroom needs Redis: pass --redis-url redis://127.0.0.1:6379/N or set REDIS_URL")
        if options["clients"] < options["rooms"] * 2:
            raise CommandError("--clients must be at least twice --rooms (each room has a seller and a buyer side)")
        workdir = Path(tempfile.mkdtemp(prefix="bench-dealroom-"))
        env = self._child_env(workdir, options["redis_url"])
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        server = None
        try:
            self.stdout.write(f"throw-away database and media in {workdir}; channel layer {options['redis_url']}")
            started = time.perf_counter()
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
            self.stdout.write(f"migrated in {time.perf_counter() - started:.1f} s; preparing rooms …")
            plan = workdir / "clients.json"
            subprocess.run([*manage, "bench_dealroom", "--prepare", str(plan), "--rooms", str(options["rooms"]),
                            "--clients", str(options["clients"])], env=env, check=True)
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "marketplace.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning", "--no-access-log"],
                env=env, cwd=settings.BASE_DIR,
            )
            _wait_for_port(port, server)
            rows = json.loads(plan.read_text())
            clients = [Client(index=i, deal=row["deal"], cookie=row["session"]) for i, row in enumerate(rows)]
            random.seed(options["seed"])
            result = asyncio.run(self._drive(clients, port, options["messages"], options["interval"]))
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
            shutil.rmtree(workdir, ignore_errors=True)
        report = self._report(result, options)
        self.stdout.write(report)
        if not options["no_write"]:
            _write_section(Path(options["output"]), report)
            self.stdout.write(self.style.SUCCESS(f"written to {options['output']}"))

    def _child_env(self, workdir: Path, redis_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ELASTICSEARCH_URL", "CELERY_BROKER_URL")}
        env.update({
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.local", "DJANGO_DEBUG": "false",
            "ZONE_VAR_DIR": str(workdir), "REDIS_URL": redis_url,
            # tasks go to kombu's in-memory transport of the child: never to the configured broker
            "CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "false",
        })
        return env

    async def _drive(self, clients: list[Client], port: int, messages: int, interval: float) -> dict[str, Any]:
        import websockets

        origin = f"http://127.0.0.1:{port}"
        everyone_in = asyncio.Event()
        go = asyncio.Event()
        ready = 0
        connect_times: list[float] = []

        async def run(client: Client) -> None:
            """One client; if its socket dies it still counts as finished, so the others are not kept waiting."""
            try:
                await session(client)
            finally:
                if not client.finished:
                    client.finished = True
                    await done_sending()

        async def session(client: Client) -> None:
            nonlocal ready
            t0 = time.perf_counter()
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/deals/{client.deal}/",
                additional_headers={"Cookie": f"sessionid={client.cookie}", "Origin": origin},
                open_timeout=120, ping_interval=None, max_size=2**20,
            ) as ws:
                while True:  # hello, the replay, caught_up
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "caught_up":
                        break
                connect_times.append((time.perf_counter() - t0) * 1000)
                ready += 1
                if ready == len(clients):
                    everyone_in.set()
                await go.wait()
                reader = asyncio.create_task(self._read(ws, client))
                for k in range(messages):
                    await asyncio.sleep(random.uniform(0.5 * interval, 1.5 * interval))
                    client_id = f"b{client.index}-{k}"
                    client.sent_at[client_id] = time.perf_counter()
                    await ws.send(json.dumps({"type": "chat", "body": f"报价讨论 {client.index}/{k}", "client_id": client_id}))
                deadline = time.perf_counter() + 60
                while len(client.acked) < messages and time.perf_counter() < deadline and not reader.done():
                    await asyncio.sleep(0.05)
                client.finished = True
                await done_sending()
                await drained.wait()
                reader.cancel()

        finished = 0
        all_sent = asyncio.Event()
        drained = asyncio.Event()

        async def done_sending() -> None:
            nonlocal finished
            finished += 1
            if finished == len(clients):
                all_sent.set()

        async def drain() -> None:
            await all_sent.wait()
            deadline = time.perf_counter() + 15
            while time.perf_counter() < deadline and _missing(clients):
                await asyncio.sleep(0.05)
            drained.set()

        tasks = [asyncio.create_task(run(c)) for c in clients]
        drainer = asyncio.create_task(drain())
        waiter = asyncio.create_task(everyone_in.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED, timeout=300)
        if not everyone_in.is_set():
            failed = [t.exception() for t in tasks if t.done() and t.exception()]
            raise CommandError(f"only {ready} of {len(clients)} clients connected: {failed[:3]}")
        self.stdout.write(f"{len(clients)} clients connected; sending …")
        started = time.perf_counter()
        go.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        await drainer
        elapsed = time.perf_counter() - started
        crashed = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        return {"clients": clients, "elapsed": elapsed, "connect": connect_times, "crashed": crashed}

    async def _read(self, ws, client: Client) -> None:
        async for text in ws:
            now = time.perf_counter()
            frame = json.loads(text)
            kind = frame.get("type")
            if kind == "message":
                seq = frame["seq"]
                client.received[seq] = client.received.get(seq, 0) + 1
                sent = client.sent_at.get(frame.get("client_id") or "")
                if sent is not None and client.received[seq] == 1:  # our own message, back through the room
                    client.round_trips.append((now - sent) * 1000)
            elif kind == "ack":
                client.acked.add(frame["seq"])
                sent = client.sent_at.get(frame.get("client_id") or "")
                if sent is not None:
                    client.acks.append((now - sent) * 1000)
            elif kind == "error":
                client.errors.append(frame.get("code", "?"))

    # -- the child: the throw-away rooms, members and sessions ----------------------------------------
    def _prepare(self, path: Path, rooms: int, clients: int) -> None:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import transaction

        from listings.deals.models import Deal, DealStatus, Side
        from marketplace.models import Membership, Organisation

        if "bench-dealroom-" not in str(settings.DATABASES["default"]["NAME"]):
            raise CommandError("--prepare writes only into the benchmark's throw-away database")
        rows = []
        per_room = [clients // rooms + (1 if r < clients % rooms else 0) for r in range(rooms)]
        with transaction.atomic():
            for r in range(rooms):
                orgs = {}
                for _role, side in ROLE_SIDES:
                    orgs[side] = Organisation.objects.create(name=f"基准{side}机构{r}", is_verified=True)
                members: list[User] = []
                for m in range(per_room[r]):
                    role, side = ROLE_SIDES[m % 2]
                    user = User.objects.create_user(username=f"bench-{r}-{m}", password=None)
                    Membership.objects.create(user=user, organisation=orgs[side], role=role)
                    members.append(user)
                deal = Deal.objects.create(
                    seller=orgs["seller"], buyer=orgs["buyer"], opened_by=members[0], opened_by_side=Side.SELLER,
                    deal_type="assignment", status=DealStatus.NEGOTIATING,
                )
                for user in members:
                    session = SessionStore()
                    session[SESSION_KEY] = str(user.pk)
                    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
                    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                    session.create()
                    rows.append({"deal": deal.pk, "session": session.session_key})
        path.write_text(json.dumps(rows))

    # -- the report -------------------------------------------------------------------------------------
    def _report(self, result: dict[str, Any], options: dict[str, Any]) -> str:
        clients: list[Client] = result["clients"]
        rtt = [v for c in clients for v in c.round_trips]
        acks = [v for c in clients for v in c.acks]
        sent = options["clients"] * options["messages"]
        acked = sum(len(c.acked) for c in clients)
        missing = _missing(clients)
        duplicates = sum(n - 1 for c in clients for n in c.received.values() if n > 1)
        unanswered = sent - acked
        expected = sum(len(_room_seqs(clients)[c.deal]) for c in clients)
        p50, p95, p99 = (_percentile(rtt, q) for q in (50, 95, 99))
        errors = sorted({e for c in clients for e in c.errors})
        ok = p95 <= 50 and missing == 0 and unanswered == 0 and not result["crashed"]
        cpu = platform.processor() or platform.machine()
        lines = [
            "## Deal room",
            "",
            f"Run {timezone.localtime().isoformat(timespec='minutes')} by `manage.py bench_dealroom` (`make bench-dealroom`, "
            f"here `REDIS_URL=redis://127.0.0.1:6379/13 make bench-dealroom`).",
            "",
            f"- Machine: {os.cpu_count()} CPU ({cpu}), shared with other work; Python {platform.python_version()}; "
            "one uvicorn worker (started by the command on 127.0.0.1, a free port) with a throw-away SQLite database; "
            "channels-redis on a real Redis; clients are `websockets` in one asyncio loop in the command's process.",
            f"- Load: **{options['clients']} clients in {options['rooms']} rooms** (half the seller's members, half the "
            f"buyer's), all connected and caught up before the clock starts; each sends {options['messages']} chat frames "
            f"at a uniformly jittered {options['interval']:.1f} s ± 50 %: {sent} messages, each fanned out to every "
            f"socket of its room ({expected} deliveries expected) in {result['elapsed']:.1f} s.",
            "- Round trip: a chat frame sent → the same message received back as the room broadcast (access check, "
            "row-locked sequence number, insert, commit, Redis group send, delivery). Lost: room messages a socket "
            "should have received (every seq acknowledged in its room during the run) that never arrived.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| round trip p50 | {p50:.1f} ms |",
            f"| round trip p95 | {p95:.1f} ms |",
            f"| round trip p99 / max | {p99:.1f} / {max(rtt) if rtt else float('nan'):.1f} ms |",
            f"| ack p50 / p95 | {_percentile(acks, 50):.1f} / {_percentile(acks, 95):.1f} ms |",
            f"| connect + catch-up p50 / p95 | {_percentile(result['connect'], 50):.0f} / {_percentile(result['connect'], 95):.0f} ms |",
            f"| messages sent / acknowledged | {sent} / {acked} |",
            f"| deliveries lost | {missing} |",
            f"| deliveries duplicated | {duplicates} |",
            f"| error frames / crashed clients | {', '.join(errors) or 'none'} / {len(result['crashed'])} |",
            "",
            f"Targets p95 ≤ 50 ms and 0 lost: **{'met' if ok else 'NOT met'}**.",
            "",
        ]
        return "\n".join(lines)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def _room_seqs(clients: list[Client]) -> dict[int, set[int]]:
    rooms: dict[int, set[int]] = {}
    for c in clients:
        rooms.setdefault(c.deal, set()).update(c.acked)
    return rooms


def _missing(clients: list[Client]) -> int:
    rooms = _room_seqs(clients)
    return sum(len(rooms[c.deal] - c.received.keys()) for c in clients)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"uvicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError("uvicorn did not start within 120 s")


def _write_section(path: Path, report: str) -> None:
    """Replace only the "## Deal room" section (up to the next "## " heading) of docs/benchmarks.md."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## Deal room\n.*?(?=^## (?!#)|\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: report.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + report.rstrip("\n") + "\n"
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")

