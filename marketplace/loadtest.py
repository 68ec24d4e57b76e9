"""A closed-loop HTTP load generator for the page benchmark: N keep-alive clients, each sending its next request when the last answered.

Latency is taken from writing the request to reading the last byte of the answer, for every request (errors are
counted apart, never dropped silently). ``HealthProber`` sends readiness probes on its own connection from a
thread while the pages are measured, and records every status and every body that does not say ``ok``.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    path: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, body


def _request(host: str, port: int, path: str, headers: dict[str, str] | None) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n{extra}Connection: keep-alive\r\n\r\n".encode()


async def _client(host: str, port: int, path: str, deadline: float, result: LoadResult,
                  headers: dict[str, str] | None = None) -> None:
    request = _request(host, port, path, headers)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                status, _body = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _run(host: str, port: int, path: str, clients: int, seconds: float, headers: dict[str, str] | None) -> LoadResult:
    result = LoadResult(path=path, clients=clients, seconds=seconds)
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(_client(host, port, path, deadline, result, headers) for _ in range(clients)))
    return result


def closed_loop(host: str, port: int, path: str, *, clients: int = 8, seconds: float = 15.0,
                headers: dict[str, str] | None = None) -> LoadResult:
    """``clients`` connections, each sending ``GET path`` again as soon as the previous answer arrived, for ``seconds``."""
    return asyncio.run(_run(host, port, path, clients, seconds, headers))


@dataclass
class ProbeReport:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    unhealthy: list[str] = field(default_factory=list)  # the first few bodies that did not say "ok"
    errors: int = 0

    @property
    def healthy(self) -> int:
        return self.statuses.get(200, 0) - len(self.unhealthy)


class HealthProber(threading.Thread):
    """Sends ``count`` readiness probes to ``path``, one every ``interval`` seconds, while the benchmark runs."""

    def __init__(self, host: str, port: int, path: str = "/healthz", *, count: int = 1000, interval: float = 0.1):
        super().__init__(name="health-prober", daemon=True)
        self.host, self.port, self.path, self.count, self.interval = host, port, path, count, interval
        self.report = ProbeReport()
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        asyncio.run(self._probe())

    async def _probe(self) -> None:
        request = _request(self.host, self.port, self.path, None)
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            while self.report.sent < self.count and not self._halt.is_set():
                self.report.sent += 1
                try:
                    writer.write(request)
                    await writer.drain()
                    status, body = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    self.report.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                    continue
                self.report.statuses[status] = self.report.statuses.get(status, 0) + 1
                if status == 200 and _answer_status(body) != "ok" and len(self.report.unhealthy) < 20:
                    self.report.unhealthy.append(body.decode(errors="replace")[:300])
                await asyncio.sleep(self.interval)
        finally:
            writer.close()


def _answer_status(body: bytes) -> str:
    try:
        return str(json.loads(body).get("status", ""))
    except ValueError:
        return ""
