"""``manage.py bench_pages`` (``make bench-pages``): the public pages under a closed loop of clients, beside a bare Django view.

It copies the bootstrapped database and index (SQLite's online backup, so the copy is consistent) into a temporary
folder, starts its own uvicorn on 127.0.0.1 at a free port with ``marketplace.settings.bench`` and that folder as
``ZONE_VAR_DIR`` (no Redis, no Postgres, no Elasticsearch, a filesystem broker in the folder): the served site's
database, index, cache and broker are never touched. Each page is warmed, then measured for ``--seconds`` with
``--clients`` keep-alive clients; the "Pages" section of docs/benchmarks.md is rewritten with the figures.

The bare view is measured first and again last, and each page's share is taken against the better of the two (the
conservative choice on a machine whose load drifts). Signed-in pages are measured as a member who logged in through
the real login form (a user made in the throw-away copy). While everything runs, ``--health-probes`` readiness probes
go to ``/healthz`` from a thread, and every answer must be a healthy 200. The load average is written beside the figures.
"""
from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.backup import sqlite_copy
from marketplace.loadtest import HealthProber, LoadResult, closed_loop
from marketplace.throwaway import throwaway_server_environment

SECTION_TITLE = "## Pages"
TARGET_SHARE = 0.40
TARGET_P95_MS = 50.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def public_pages() -> list[tuple[str, str]]:
    """(name, path) of every public page, found in the bootstrapped database (read only)."""
    Patent = apps.get_model("listings", "Patent")
    Zone = apps.get_model("listings", "Zone")
    patent = Patent.objects.order_by("pk").first()
    zone = Zone.objects.order_by("position", "code").first()
    if patent is None or zone is None:
        raise CommandError("no patents or zones: run `manage.py bootstrap` first")
    ZonePage = apps.get_model("cms", "ZonePage")
    AgencyDirectoryPage = apps.get_model("cms", "AgencyDirectoryPage")
    zone_page = ZonePage.objects.live().order_by("path").first()
    agencies = AgencyDirectoryPage.objects.live().first()
    pages = [
        ("home", "/"),
        ("zone page", zone_page.url if zone_page else "/zones/"),
        ("patent list", "/patents/"),
        ("patent list, filtered", f"/patents/?zone={zone.code}&kind=invention"),
        ("patent page", f"/patents/{patent.publication_number}/"),
        ("patent map", "/patents/map/"),
        ("search page", "/search/?q=%E7%94%B5%E6%B1%A0"),  # 电池
        ("search API", "/api/search/patents?q=%E7%94%B5%E6%B1%A0"),
        ("listing board", "/listings/"),
        ("demand board", "/demands/"),
        ("agency directory", agencies.url if agencies else "/agencies/"),
    ]
    return pages


#: signed-in pages: (name, path) for a member of the organisation with the most listings
SIGNED_IN_PAGES = [
    ("home (signed in)", "/"),
    ("patent list (signed in)", "/patents/"),
    ("listing board (signed in)", "/listings/"),
    ("my listings", "/me/listings/"),
    ("my notifications", "/me/notifications/"),
    ("my deals", "/me/deals/"),
]

#: run inside the throw-away copy (``manage.py shell``): a member of the organisation with the most listings
_MAKE_MEMBER = """
from django.contrib.auth import get_user_model
from django.db.models import Count
from marketplace.models import Membership, Organisation
org = Organisation.objects.annotate(n=Count("listings")).order_by("-n", "pk").first()
user = get_user_model().objects.create_user("bench-member", "bench@example.invalid", {password!r})
if org is not None:
    Membership.objects.create(organisation=org, user=user, role=Membership.Role.HOLDER)
"""


class Command(BaseCommand):
    help = "Benchmark the public pages against a bare Django view in the same server and write docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--seconds", type=float, default=15.0)
        parser.add_argument("--no-page-cache", action="store_true", help="measure with the page cache off")
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-write", action="store_true", help="print the table only")
        parser.add_argument("--no-signed-in", action="store_true", help="skip the signed-in pages")
        parser.add_argument("--health-probes", type=int, default=1000, help="/healthz probes sent during the run (0: none)")

    def handle(self, *args, clients: int, seconds: float, no_page_cache: bool, output: str, no_write: bool,
               no_signed_in: bool, health_probes: int, **options):
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("bench_pages copies the embedded SQLite database; run it on the embedded default")
        pages = public_pages()
        workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        server = None
        try:
            var = workdir / "var"
            var.mkdir()
            sqlite_copy(Path(settings.DATABASES["default"]["NAME"]), var / "db.sqlite3")
            if Path(settings.SEARCH_INDEX_PATH).exists():
                sqlite_copy(Path(settings.SEARCH_INDEX_PATH), var / "search-index.sqlite3")
            static = Path(settings.STATIC_ROOT)
            if static.exists():
                (var / "staticfiles").symlink_to(static)
            env = self._server_env(var, page_cache=not no_page_cache)
            cookie: str | None = None
            if not no_signed_in:
                password = secrets.token_urlsafe(16)
                self._make_member(env, password)
            port = _free_port()
            server = self._start_server(env, port, log=workdir / "uvicorn.log")
            if not no_signed_in:
                cookie = _log_in(port, "bench-member", password)
            plan: list[tuple[str, str, dict[str, str] | None]] = [("bare Django view", "/_bench/bare", None)]
            plan += [(name, path, None) for name, path in pages]
            if cookie is not None:
                signed_in = {"Cookie": cookie}
                plan += [(name, path, signed_in) for name, path in SIGNED_IN_PAGES]
            plan.append(("bare Django view (again, last)", "/_bench/bare", None))
            prober = None
            if health_probes:
                total = len(plan) * (seconds + 1.0)
                prober = HealthProber("127.0.0.1", port, "/healthz", count=health_probes, interval=max(0.0, total / health_probes * 0.8))
                prober.start()
            results: list[tuple[str, LoadResult, tuple[float, float]]] = []
            for name, path, headers in plan:
                for _ in range(20):  # warm: imports, connections, the page cache
                    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        answer.read()
                load_before = os.getloadavg()[0]
                result = closed_loop("127.0.0.1", port, path, clients=clients, seconds=seconds, headers=headers)
                load = (load_before, os.getloadavg()[0])
                results.append((name, result, load))
                self.stdout.write(
                    f"{name:32} {result.rps:7.0f} req/s  p50 {result.percentile(50):6.1f} ms  "
                    f"p95 {result.percentile(95):6.1f} ms  statuses {result.statuses} errors {result.errors}  "
                    f"load {load[0]:.1f}→{load[1]:.1f}"
                )
            during = prober.report.sent if prober else 0
            if prober is not None:
                prober.interval = 0.0  # whatever is left is sent now, with the server still up
                prober.join(timeout=300)
                prober.stop()
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
            shutil.rmtree(workdir, ignore_errors=True)
        section = self._section(results, clients=clients, seconds=seconds, page_cache=not no_page_cache,
                                probes=prober.report if prober else None, probes_during=during)
        self.stdout.write(section)
        if not no_write:
            _write_section(Path(output), section, title=SECTION_TITLE + (" (page cache off)" if no_page_cache else ""))

    def _server_env(self, var: Path, *, page_cache: bool) -> dict[str, str]:
        """The throw-away server's environment: nothing configured (database, cache, broker, index, Sentry) reaches
        it; its tasks run eagerly on an in-memory broker (``marketplace.throwaway``)."""
        env = throwaway_server_environment(dict(os.environ), var_dir=var)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update({
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.bench",
            "PAGE_CACHE_ENABLED": "true" if page_cache else "false",
        })
        return env

    def _make_member(self, env: dict[str, str], password: str) -> None:
        """A signed-in visitor for the signed-in pages, made in the throw-away copy only."""
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", _MAKE_MEMBER.format(password=password)],
            env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise CommandError(f"could not make the benchmark's member: {done.stderr[-2000:]}")

    def _start_server(self, env: dict[str, str], port: int, *, log: Path) -> subprocess.Popen:
        command = [sys.executable, "-m", "uvicorn", "marketplace.asgi:application", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "1", "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
        server = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"uvicorn exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/live", timeout=2).read()
                return server
            except OSError:
                time.sleep(0.3)
        server.kill()
        raise CommandError("uvicorn did not answer within 60 s")

    def _section(self, results: list[tuple[str, LoadResult, tuple[float, float]]], *, clients: int, seconds: float,
                 page_cache: bool, probes=None, probes_during: int = 0) -> str:
        bares = [r for name, r, _ in results if r.path == "/_bench/bare"]
        bare_rps = max(r.rps for r in bares)
        lines = [
            SECTION_TITLE + ("" if page_cache else " (page cache off)"),
            "",
            f"Run {dt.datetime.now().astimezone().isoformat(timespec='minutes')} by `manage.py bench_pages "
            f"--clients {clients} --seconds {seconds:g}{'' if page_cache else ' --no-page-cache'}` (`make bench-pages`) on "
            f"{machine_description()}: one uvicorn process, DEBUG off, a throw-away copy of the bootstrapped database "
            f"and index, {clients} keep-alive clients in a closed loop for {seconds:g} s per page, each page warmed "
            f"with 20 requests first. Anonymous visitor unless marked signed in (a member who logged in through the "
            f"login form); page cache {'on' if page_cache else 'off'}. Target for the public pages: ≥ "
            f"{TARGET_SHARE:.0%} of the bare view's requests/s (the better of its two runs, first and last) and "
            f"p95 ≤ {TARGET_P95_MS:g} ms. Load: the machine's 1-minute load average before → after each page "
            f"({os.cpu_count()} cores, shared).",
            "",
            "| page | path | req/s | p50 ms | p95 ms | share of bare | target met | non-200 | load |",
            "|---|---|---:|---:|---:|---:|:---:|---:|---:|",
        ]
        for name, r, load in results:
            share = r.rps / bare_rps if bare_rps else 0.0
            if r.path == "/_bench/bare":
                met = "—"
            elif "signed in" in name or name.startswith("my "):
                met = "(no target)" if r.percentile(95) > TARGET_P95_MS else "p95 yes"
            else:
                met = "yes" if share >= TARGET_SHARE and r.percentile(95) <= TARGET_P95_MS else "**no**"
            non_200 = sum(n for status, n in r.statuses.items() if status != 200) + r.errors
            lines.append(
                f"| {name} | `{r.path}` | {r.rps:.0f} | {r.percentile(50):.1f} | {r.percentile(95):.1f} | "
                f"{share:.0%} | {met} | {non_200} | {load[0]:.1f} → {load[1]:.1f} |"
            )
        if probes is not None:
            healthy = probes.healthy
            lines += [
                "",
                f"Readiness under load: {probes.sent} `/healthz` probes ({probes_during} of them while the pages were "
                f"measured), answers {dict(sorted(probes.statuses.items()))}, {healthy} healthy, "
                f"{len(probes.unhealthy)} degraded, {probes.errors} connection errors."
                + ("" if healthy == probes.sent else f" First unhealthy answer: `{(probes.unhealthy or ['(none)'])[0]}`"),
            ]
        return "\n".join(lines) + "\n"


def _log_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form (CSRF token and all); returns the Cookie header of the signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise CommandError("the login page has no CSRF token")
    form = urllib.parse.urlencode({"login": username, "password": password, "csrfmiddlewaretoken": token.group(1)})
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=form.encode(), headers={"Referer": f"{base}/accounts/login/"}), timeout=30).read()
    cookies = {c.name: c.value for c in jar}
    if settings.SESSION_COOKIE_NAME not in cookies:
        raise CommandError("logging in to the benchmark server failed (no session cookie)")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def machine_description() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu or 'unknown CPU'}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"


def _write_section(path: Path, section: str, *, title: str) -> None:
    """Replace (or add) this section of docs/benchmarks.md, leaving every other section as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == title), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = "\n".join(lines[:start] + section.rstrip("\n").splitlines() + [""] + lines[end:]).rstrip("\n") + "\n"
    path.write_text(new, encoding="utf-8")
