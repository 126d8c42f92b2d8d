"""Gossip throughput between 2 and 4 hosts, one OS process each, on 127.0.0.1.

Host 0 publishes COUNT messages as fast as `Gossip.publish` (with its flow control) lets it; every
other host counts what it receives. Publishing only queues a message, so the publish rate runs ahead
of delivery; the receive rate is the figure that matters. Prints, per case, the publish rate and the slowest subscriber's
receive rate (messages/s from its first to its last message) and how many arrived.
Run: .venv/bin/python -m bench.p2p_gossip
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import socket
import subprocess
import sys
import time

import trio

from p2p.host import Host
from p2p.identity import peer_id_from_seed

TOPIC = "/ake/bench/gossip"
CASES = [(2, 1024, 2000), (2, 65536, 500), (4, 1024, 1000), (4, 65536, 300)]
IDLE_END = 5.0  # a subscriber stops after this long without a message


def seed(i: int) -> bytes:
    return hashlib.sha256(b"bench-%d" % i).digest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def node(index: int, ports: list[int], size: int, count: int) -> str:
    peers = [f"/ip4/127.0.0.1/tcp/{p}/p2p/{peer_id_from_seed(seed(j))}" for j, p in enumerate(ports) if j > index]
    host = Host(seed(index), port=ports[index], persistent_peers=peers)
    host.gossip.add_topic(TOPIC, max_size=size)
    channel = host.gossip.subscribe(TOPIC)
    others = [peer_id_from_seed(seed(j)) for j in range(len(ports)) if j != index]
    async with trio.open_nursery() as nursery:
        await nursery.start(host.run)
        await host.wait_for_peers(others, timeout=20)
        for peer in others:
            await host.gossip.wait_for_mesh(TOPIC, peer, timeout=20)
        if index == 0:
            await trio.sleep(1.0)  # let the subscribers finish grafting too
            payload = bytes(size)
            start = time.perf_counter()
            for _ in range(count):
                await host.gossip.publish(TOPIC, payload)
            result = f"publish {count / (time.perf_counter() - start):.0f}/s"
            # Published means queued: keep sending until the parent says the subscribers are done.
            await trio.to_thread.run_sync(sys.stdin.read)
        else:
            received, first, last = 0, 0.0, 0.0
            while received < count:
                with trio.move_on_after(IDLE_END if received else 60):
                    await channel.receive()
                    last = time.perf_counter()
                    first = first or last
                    received += 1
                    continue
                break
            rate = (received - 1) / (last - first) if received > 1 else 0.0
            result = f"recv {received} {rate:.0f}/s"
        nursery.cancel_scope.cancel()
    return result


def run_case(n: int, size: int, count: int) -> None:
    ports = ",".join(str(free_port()) for _ in range(n))
    procs = [subprocess.Popen([sys.executable, "-m", "bench.p2p_gossip", "--node", str(i), "--ports", ports,
                               "--size", str(size), "--count", str(count)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for i in range(n)]
    results = [p.communicate(timeout=180)[0].strip() for p in procs[1:]]
    results.insert(0, procs[0].communicate(timeout=30)[0].strip())  # closes the publisher's stdin
    recv = [r.split() for r in results[1:]]
    slowest = min(float(r[2].rstrip("/s")) for r in recv)
    arrived = min(int(r[1]) for r in recv)
    print(f"{n} hosts, {size // 1024:>2} KB x {count}: {results[0]}; slowest subscriber {slowest:.0f} msg/s "
          f"({slowest * size / 2**20:.1f} MiB/s), {arrived}/{count} arrived", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--node", type=int)
    parser.add_argument("--ports")
    parser.add_argument("--size", type=int)
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.node is None:
        for case in CASES:
            run_case(*case)
    else:
        logging.getLogger("libp2p").setLevel(logging.CRITICAL)  # failed dials before all listen
        print(trio.run(node, args.node, [int(p) for p in args.ports.split(",")], args.size, args.count), flush=True)
