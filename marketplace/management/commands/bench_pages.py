"""``manage.py bench_pages`` (``make bench-pages``): the public pages under a closed loop of clients, beside a bare Django view.

It copies the bootstrapped database and index (SQLite's online backup, so the copy is consistent) into a temporary
folder, starts its own uvicorn on 127.0.0.1 at a free port with ``marketplace.settings.bench`` and that folder as
``ZONE_VAR_DIR`` (no Redis, no Postgres, no Elasticsearch, a filesystem broker in the folder): the served site's
database, index, cache and broker are never touched. Each page is warmed, then measured for ``--seconds`` with
``--clients`` keep-alive clients; the "Pages" section of docs/benchmarks.md is rewritten with the figures.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.backup import sqlite_copy
from marketplace.loadtest import LoadResult, closed_loop
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


class Command(BaseCommand):
    help = "Benchmark the public pages against a bare Django view in the same server and write docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--seconds", type=float, default=15.0)
        parser.add_argument("--no-page-cache", action="store_true", help="measure with the page cache off")
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-write", action="store_true", help="print the table only")

    def handle(self, *args, clients: int, seconds: float, no_page_cache: bool, output: str, no_write: bool, **options):
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
            port = _free_port()
            server = self._start_server(var, port, page_cache=not no_page_cache, log=workdir / "uvicorn.log")
            results: list[tuple[str, LoadResult]] = []
            for name, path in [("bare Django view", "/_bench/bare"), *pages]:
                for _ in range(20):  # warm: imports, connections, the page cache
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()
                result = closed_loop("127.0.0.1", port, path, clients=clients, seconds=seconds)
                results.append((name, result))
                self.stdout.write(
                    f"{name:24} {result.rps:7.0f} req/s  p50 {result.percentile(50):6.1f} ms  "
                    f"p95 {result.percentile(95):6.1f} ms  statuses {result.statuses} errors {result.errors}"
                )
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
            shutil.rmtree(workdir, ignore_errors=True)
        section = self._section(results, clients=clients, seconds=seconds, page_cache=not no_page_cache)
        self.stdout.write(section)
        if not no_write:
            _write_section(Path(output), section, title=SECTION_TITLE + (" (page cache off)" if no_page_cache else ""))

    def _start_server(self, var: Path, port: int, *, page_cache: bool, log: Path) -> subprocess.Popen:
        env = throwaway_server_environment(dict(os.environ), var_dir=var)
        env.update({
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.bench",
            "PAGE_CACHE_ENABLED": "true" if page_cache else "false",
        })
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

    def _section(self, results: list[tuple[str, LoadResult]], *, clients: int, seconds: float, page_cache: bool) -> str:
        bare = results[0][1]
        lines = [
            SECTION_TITLE + ("" if page_cache else " (page cache off)"),
            "",
            f"Run {dt.datetime.now().astimezone().isoformat(timespec='minutes')} by `manage.py bench_pages "
            f"--clients {clients} --seconds {seconds:g}{'' if page_cache else ' --no-page-cache'}` (`make bench-pages`) on "
            f"{machine_description()}: one uvicorn process, DEBUG off, a throw-away copy of the bootstrapped database "
            f"and index, {clients} keep-alive clients in a closed loop for {seconds:g} s per page, each page warmed "
            f"with 20 requests first. Anonymous visitor; page cache {'on' if page_cache else 'off'}. Target: ≥ "
            f"{TARGET_SHARE:.0%} of the bare view's requests/s and p95 ≤ {TARGET_P95_MS:g} ms.",
            "",
            "| page | path | req/s | p50 ms | p95 ms | share of bare | target met | non-200 |",
            "|---|---|---:|---:|---:|---:|:---:|---:|",
        ]
        for name, r in results:
            share = r.rps / bare.rps if bare.rps else 0.0
            met = "—" if r is bare else ("yes" if share >= TARGET_SHARE and r.percentile(95) <= TARGET_P95_MS else "**no**")
            non_200 = sum(n for status, n in r.statuses.items() if status != 200) + r.errors
            lines.append(
                f"| {name} | `{r.path}` | {r.rps:.0f} | {r.percentile(50):.1f} | {r.percentile(95):.1f} | "
                f"{share:.0%} | {met} | {non_200} |"
            )
        return "\n".join(lines) + "\n"


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
