"""The deal-room benchmark's clients: WebSocket sockets in one asyncio loop, and the exact delivery account.

Every chat frame carries a unique ``client_id``; every client records each ``client_id`` it receives and when.
A message counts as sent when its frame left the client (acknowledged or not), and it is owed once to every client
of its room, its sender included (the sender's copy is its echo). Lost = owed and never received; duplicated =
received more than once; out of order = a ``seq`` not above the last one that socket received.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Client:
    index: int
    deal: int
    cookie: str
    sent: list[str] = field(default_factory=list)  # client_ids sent
    got: dict[str, int] = field(default_factory=dict)  # client_id → times received
    acked: set[str] = field(default_factory=set)
    last_seq: int = 0
    out_of_order: int = 0
    finished: bool = False  # counted in done_sending
    errors: list[str] = field(default_factory=list)


@dataclass
class Run:
    clients: list[Client]
    sent_at: dict[str, float] = field(default_factory=dict)  # client_id → send time (one clock: one process)
    sender: dict[str, int] = field(default_factory=dict)  # client_id → sending client's index
    delivery: list[float] = field(default_factory=list)  # ms, sender's send → another client's receipt
    echo: list[float] = field(default_factory=list)  # ms, sender's send → its own copy back from the room
    baseline: list[float] = field(default_factory=list)  # ms, ping → pong at the same rate, before the chat
    ack: list[float] = field(default_factory=list)
    connect: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)  # ms the client loop woke late from a 10 ms sleep
    crashed: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0  # the web server's CPU seconds during the chat phase

    def account(self) -> dict[str, Any]:
        owed: dict[int, set[str]] = {}
        for c in self.clients:
            owed.setdefault(c.deal, set()).update(c.sent)
        lost_per_client = [len(owed[c.deal] - c.got.keys()) for c in self.clients]
        return {
            "sent": sum(len(c.sent) for c in self.clients),
            "acked": sum(len(c.acked) for c in self.clients),
            "owed": sum(len(owed[c.deal]) for c in self.clients),
            "lost": sum(lost_per_client),
            "clients_losing": sum(1 for n in lost_per_client if n),
            "most_lost_by_one": max(lost_per_client, default=0),
            "duplicated": sum(n - 1 for c in self.clients for n in c.got.values() if n > 1),
            "out_of_order": sum(c.out_of_order for c in self.clients),
            "errors": sorted({e for c in self.clients for e in c.errors}),
        }

    def missing(self) -> int:
        owed: dict[int, set[str]] = {}
        for c in self.clients:
            owed.setdefault(c.deal, set()).update(c.sent)
        return sum(len(owed[c.deal] - c.got.keys()) for c in self.clients)


async def drive(run: Run, port: int, messages: int, interval: float, pings: int, say, server_cpu) -> None:
    """Connect every client, wait until all are caught up; the baseline: each sends ``pings`` ping frames at the
    chat's rate (the socket, the consumer and the machine, without database or fan-out); then each sends
    ``messages`` chat frames at a uniformly jittered ``interval`` (± 50 %), and the run drains until every owed
    copy arrived or 20 s passed."""
    import websockets

    clients = run.clients
    everyone_in, go, all_sent, drained = asyncio.Event(), asyncio.Event(), asyncio.Event(), asyncio.Event()
    ready = finished = pinged = 0

    async def done_sending(client: Client) -> None:
        nonlocal finished
        if client.finished:
            return
        client.finished = True
        finished += 1
        if finished == len(clients):
            all_sent.set()

    async def read(ws, client: Client) -> None:
        async for text in ws:
            now = time.perf_counter()
            frame = json.loads(text)
            kind = frame.get("type")
            if kind == "message":
                seq, cid = frame["seq"], frame.get("client_id") or ""
                if seq <= client.last_seq:
                    client.out_of_order += 1
                client.last_seq = max(client.last_seq, seq)
                client.got[cid] = client.got.get(cid, 0) + 1
                if client.got[cid] == 1 and cid in run.sent_at:
                    took = (now - run.sent_at[cid]) * 1000
                    (run.echo if run.sender[cid] == client.index else run.delivery).append(took)
            elif kind == "ack":
                cid = frame.get("client_id") or ""
                client.acked.add(cid)
                if cid in run.sent_at:
                    run.ack.append((now - run.sent_at[cid]) * 1000)
            elif kind == "error":
                client.errors.append(frame.get("code", "?"))

    async def session(client: Client) -> None:
        nonlocal ready, pinged
        t0 = time.perf_counter()
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/deals/{client.deal}/",
            additional_headers={"Cookie": f"sessionid={client.cookie}", "Origin": f"http://127.0.0.1:{port}"},
            open_timeout=120, ping_interval=None, max_size=2**20,
        ) as ws:
            while json.loads(await ws.recv())["type"] != "caught_up":  # hello, the replay, caught_up
                pass
            run.connect.append((time.perf_counter() - t0) * 1000)
            ready += 1
            if ready == len(clients):
                everyone_in.set()
            await everyone_in.wait()
            for _ in range(pings):
                await asyncio.sleep(random.uniform(0.5 * interval, 1.5 * interval))
                t = time.perf_counter()
                await ws.send(json.dumps({"type": "ping"}))
                while json.loads(await ws.recv())["type"] != "pong":  # presence of late joiners
                    pass
                run.baseline.append((time.perf_counter() - t) * 1000)
            pinged += 1
            if pinged == len(clients):
                go.set()
            await go.wait()
            reader = asyncio.create_task(read(ws, client))
            for k in range(messages):
                await asyncio.sleep(random.uniform(0.5 * interval, 1.5 * interval))
                cid = f"b{client.index}-{k}"
                run.sent_at[cid], run.sender[cid] = time.perf_counter(), client.index
                client.sent.append(cid)
                await ws.send(json.dumps({"type": "chat", "body": f"报价讨论 {client.index}/{k}", "client_id": cid}))
            deadline = time.perf_counter() + 30
            while len(client.acked) < len(client.sent) and time.perf_counter() < deadline and not reader.done():
                await asyncio.sleep(0.05)
            await done_sending(client)
            await drained.wait()
            reader.cancel()

    async def one(client: Client) -> None:
        try:
            await session(client)
        except Exception as exc:
            run.crashed.append(repr(exc))
            if not everyone_in.is_set():
                raise
            await done_sending(client)

    async def drain() -> None:
        await all_sent.wait()
        deadline = time.perf_counter() + 20
        while time.perf_counter() < deadline and run.missing():
            await asyncio.sleep(0.05)
        drained.set()

    async def lag() -> None:
        while not drained.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            run.lag.append(max(0.0, (time.perf_counter() - t - 0.01) * 1000))

    tasks = [asyncio.create_task(one(c)) for c in clients]
    waiter = asyncio.create_task(everyone_in.wait())
    await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED, timeout=300)
    if not everyone_in.is_set():
        failed = [t.exception() for t in tasks if t.done() and t.exception()]
        raise RuntimeError(f"only {ready} of {len(clients)} clients connected: {failed[:3]}")
    say(f"{len(clients)} clients connected; baseline pings, then chat …")
    await go.wait()
    drainer, monitor = asyncio.create_task(drain()), asyncio.create_task(lag())
    started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
    await asyncio.gather(*tasks, return_exceptions=True)
    await drainer
    await monitor
    run.elapsed, run.client_cpu = time.perf_counter() - started, time.process_time() - cpu
    run.server_cpu = server_cpu() - server
