"""Helpers for the p2p tests: seeds, free ports, a full mesh of running hosts on 127.0.0.1."""
from __future__ import annotations

import hashlib
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import trio

from p2p.host import Host
from p2p.identity import peer_id_from_seed

TOPIC = "/ake/test/gossip"


def seed(i: int) -> bytes:
    return hashlib.sha256(b"p2p-test-%d" % i).digest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def address(i: int, port: int) -> str:
    return f"/ip4/127.0.0.1/tcp/{port}/p2p/{peer_id_from_seed(seed(i))}"


def mesh(n: int, **kwargs) -> list[Host]:
    """n hosts, each with the others (lower index dials higher) as persistent peers."""
    ports = [free_port() for _ in range(n)]
    return [Host(seed(i), port=ports[i], persistent_peers=[address(j, ports[j]) for j in range(i + 1, n)], **kwargs)
            for i in range(n)]


async def run_in_scope(host: Host, scope: trio.CancelScope, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Run a host that the test can stop alone (scope.cancel()), as if its process died."""
    with scope:
        await host.run(task_status=task_status)


@asynccontextmanager
async def running(hosts: Sequence[Host], topic: str | None = TOPIC, timeout: float = 10) -> AsyncIterator[trio.Nursery]:
    """Run the hosts; wait until all are connected (and meshed on `topic`); stop them all on exit."""
    async with trio.open_nursery() as nursery:
        for host in hosts:
            await nursery.start(host.run)
        for host in hosts:
            others = [h.peer_id for h in hosts if h is not host]
            await host.wait_for_peers(others, timeout)
            if topic is not None:
                for other in others:
                    await host.gossip.wait_for_mesh(topic, other, timeout)
        yield nursery
        nursery.cancel_scope.cancel()
