"""The deal-room benchmark: many WebSocket clients in many rooms through channels-redis against a real uvicorn.

It starts its own uvicorn on 127.0.0.1 (a free port, ``--workers`` processes: one per core on Postgres, one on SQLite by default) on a
throw-away database — SQLite in a temporary directory, or with ``--database-url``/``DATABASE_URL`` naming Postgres
a database ``<name>_dealroom_bench_<pid>`` created beside it and dropped at the end — with media and search index
in the temporary directory (``ZONE_VAR_DIR``), the channel layer on the Redis given (use your own db number), and
Celery on kombu's in-memory transport, so nothing reaches the configured broker, database or index. The clients
(``_dealroom_clients.py``: ``websockets`` in one asyncio loop of this process) log in by session cookie, connect,
wait until every room is caught up, then each sends chat frames at a jittered interval. Measured: delivery (a
frame sent → each other client of the room receives it), echo and ack times; lost, duplicated and out-of-order
deliveries counted exactly per client; the client loop's lateness and the CPU used by the server and the clients.

Writes its run as a "### …" subsection of "## Deal room" in docs/benchmarks.md (one per configuration).
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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from listings.management.commands._dealroom_clients import Client, Run, drive

ROLE_SIDES = (("holder", "seller"), ("demand", "buyer"))


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
        parser.add_argument("--messages", type=int, default=10, help="chat frames each client sends")
        parser.add_argument("--interval", type=float, default=2.0, help="mean seconds between a client's frames")
        parser.add_argument("--pings", type=int, default=3, help="baseline ping frames each client sends first")
        parser.add_argument("--workers", type=int, default=0,
                            help="uvicorn processes (default: one per core on Postgres, one on SQLite, whose writers "
                                 "in two processes meet in its busy handler; docs/benchmarks.md)")
        parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""),
                            help="the channel layer's Redis (default $REDIS_URL); use a db of your own")
        parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                            help="a postgres:// URL: the throw-away database is created on that server "
                                 "(default $DATABASE_URL; SQLite in the temporary directory otherwise)")
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
        postgres = options["database_url"].startswith(("postgres://", "postgresql://"))
        options["workers"] = options["workers"] or ((os.cpu_count() or 1) if postgres else 1)
        workdir = Path(tempfile.mkdtemp(prefix="bench-dealroom-"))
        bench_url = _throwaway_postgres(options["database_url"]) if postgres else ""
        env = self._child_env(workdir, options["redis_url"], bench_url)
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        server = None
        load_before = os.getloadavg()
        try:
            self.stdout.write(f"throw-away {'Postgres ' + urlsplit(bench_url).path[1:] if postgres else 'SQLite'} "
                              f"and media in {workdir}; channel layer {options['redis_url']}")
            started = time.perf_counter()
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
            self.stdout.write(f"migrated in {time.perf_counter() - started:.1f} s; preparing rooms …")
            plan = workdir / "clients.json"
            subprocess.run([*manage, "bench_dealroom", "--prepare", str(plan), "--rooms", str(options["rooms"]),
                            "--clients", str(options["clients"])], env=env, check=True)
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "marketplace.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--workers", str(options["workers"]), "--log-level", "warning",
                 "--no-access-log", "--ws-per-message-deflate", "false"],  # as manage.py serve runs it
                env=env, cwd=settings.BASE_DIR,
            )
            _wait_for_port(port, server)
            rows = json.loads(plan.read_text())
            run = Run([Client(index=i, deal=row["deal"], cookie=row["session"]) for i, row in enumerate(rows)])
            random.seed(options["seed"])
            pid = server.pid
            asyncio.run(drive(run, port, options["messages"], options["interval"], options["pings"], self.stdout.write,
                              lambda: _tree_cpu(pid)))
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
            shutil.rmtree(workdir, ignore_errors=True)
            if bench_url:
                _drop_postgres(bench_url)
        label, report = self._report(run, options, postgres=postgres, load=(load_before, os.getloadavg()))
        self.stdout.write(report)
        if not options["no_write"]:
            _write_section(Path(options["output"]), label, report)
            self.stdout.write(self.style.SUCCESS(f"written to {options['output']}"))

    def _child_env(self, workdir: Path, redis_url: str, database_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ELASTICSEARCH_URL", "CELERY_BROKER_URL")}
        env.update({
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.local", "DJANGO_DEBUG": "false",
            "ZONE_VAR_DIR": str(workdir), "REDIS_URL": redis_url,
            # tasks go to kombu's in-memory transport of the child: never to the configured broker
            "CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "false",
        })
        if database_url:
            env["DATABASE_URL"] = database_url
        return env

    # -- the child: the throw-away rooms, members and sessions ----------------------------------------
    def _prepare(self, path: Path, rooms: int, clients: int) -> None:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import transaction

        from listings.deals.models import Deal, DealStatus, Side
        from marketplace.models import Membership, Organisation

        if not re.search(r"bench-dealroom-|_dealroom_bench_\d+$", str(settings.DATABASES["default"]["NAME"])):
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
    def _report(self, run: Run, options: dict[str, Any], *, postgres: bool,
                load: tuple[tuple[float, ...], tuple[float, ...]]) -> tuple[str, str]:
        a = run.account()
        ok = _percentile(run.delivery, 95) <= 50 and a["lost"] == 0 and a["duplicated"] == 0 and not run.crashed
        rate = options["clients"] / options["interval"]
        label = (f"{'Postgres' if postgres else 'SQLite'}, {options['workers']} web worker"
                 f"{'s' if options['workers'] != 1 else ''}, {options['clients']} clients in {options['rooms']} rooms, "
                 f"a message every {options['interval']:g} s ± 50 % per client")
        here = " --database-url postgres://…" if postgres else ""
        ms = lambda values, q: f"{_percentile(values, q):.1f}"  # noqa: E731
        lines = [
            f"### {label}",
            "",
            f"Run {timezone.localtime().isoformat(timespec='minutes')}: `manage.py bench_dealroom --workers "
            f"{options['workers']} --interval {options['interval']:g} --messages {options['messages']}{here}` "
            f"(channel layer on its own Redis db); {os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
            f"Python {platform.python_version()}, `DEAL_ROOM_DB_THREADS={settings.DEAL_ROOM_DB_THREADS}`; load average "
            f"(1/5/15 min) {'/'.join(f'{v:.2f}' for v in load[0])} before, {'/'.join(f'{v:.2f}' for v in load[1])} after.",
            f"Offered: {a['sent']} messages ({rate:.0f} per second over the room set), {a['owed']} copies owed, "
            f"in {run.elapsed:.1f} s. CPU in that time: web server {run.server_cpu:.1f} s "
            f"({100 * run.server_cpu / run.elapsed:.0f} % of one core; "
            f"{1000 * run.server_cpu / max(1, a['sent']):.1f} ms a message), clients {run.client_cpu:.1f} s "
            f"({100 * run.client_cpu / run.elapsed:.0f} %).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| delivery to the others p50 / p95 / p99 / max | {ms(run.delivery, 50)} / {ms(run.delivery, 95)} / "
            f"{ms(run.delivery, 99)} / {max(run.delivery, default=float('nan')):.1f} ms |",
            f"| baseline: ping → pong at the same rate, p50 / p95 | {ms(run.baseline, 50)} / {ms(run.baseline, 95)} ms |",
            f"| echo to the sender p50 / p95 | {ms(run.echo, 50)} / {ms(run.echo, 95)} ms |",
            f"| ack p50 / p95 | {ms(run.ack, 50)} / {ms(run.ack, 95)} ms |",
            f"| connect + catch-up p50 / p95 | {ms(run.connect, 50)} / {ms(run.connect, 95)} ms |",
            f"| client loop late p95 / max | {ms(run.lag, 95)} / {max(run.lag, default=float('nan')):.1f} ms |",
            f"| messages sent / acknowledged | {a['sent']} / {a['acked']} |",
            f"| copies lost (clients losing any; most by one client) | {a['lost']} ({a['clients_losing']}; "
            f"{a['most_lost_by_one']}) |",
            f"| copies duplicated / out of order | {a['duplicated']} / {a['out_of_order']} |",
            f"| error frames / crashed clients | {', '.join(a['errors']) or 'none'} / {len(run.crashed)} |",
            "",
            f"Targets p95 ≤ 50 ms, 0 lost: **{'met' if ok else 'NOT met'}**.",
            "",
        ]
        return label, "\n".join(lines)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def _throwaway_postgres(url: str) -> str:
    """Create ``<name>_dealroom_bench_<pid>`` on the server of ``url``; its URL."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_dealroom_bench_{os.getpid()}"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants (Linux /proc; 0 elsewhere)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(entry.parent.name)
        parents[child] = int(fields[1])
        times[child] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    return sum(times.get(p, 0.0) for p in tree)


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


def _write_section(path: Path, label: str, report: str) -> None:
    """Replace this configuration's "### …" run (or add it) inside "## Deal room"; the rest stays as written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    section = re.compile(r"^## Deal room\n.*?(?=^## (?!#)|\Z)", re.S | re.M)
    found = section.search(text)
    if found is None:
        text = text.rstrip("\n") + "\n\n## Deal room\n\n"
        found = section.search(text)
        assert found is not None
    body = found.group(0)
    run = re.compile(rf"^### {re.escape(label)}\n.*?(?=^###? |\Z)", re.S | re.M)
    if run.search(body):
        body = run.sub(lambda _: report.rstrip("\n") + "\n\n", body, count=1)
    else:
        body = body.rstrip("\n") + "\n\n" + report.rstrip("\n") + "\n\n"
    text = text[: found.start()] + body + text[found.end():]
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
