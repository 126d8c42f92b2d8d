"""End to end: one of 4 validators cut off by a blackholing proxy (connections hang, never reset) for 60 s;
the other three keep committing at >= 50% of their earlier rate and it catches up within 10 s of the heal."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from akechain.cli.devnet import create_devnet, node_specs, set_persistent_peers
from akechain.node.config import Home
from tests.conftest import Devnet
from tests.node_process import free_ports, run_cli, wait_until
from tests.tcp_proxy import Link, TcpProxy

pytestmark = pytest.mark.slow
VALIDATORS = 4


@pytest.fixture
def proxied_devnet(tmp_path: Path) -> Iterator[tuple[Devnet, TcpProxy]]:
    """A devnet whose nodes dial each other only through the proxy (one proxy port per ordered link)."""
    root = tmp_path / "devnet"
    create_devnet(root, VALIDATORS, free_ports(2 * VALIDATORS), "ake-partition-1")
    specs = node_specs(root)
    proxy = TcpProxy()
    for i, spec in enumerate(specs):
        peers = []
        for j, other in enumerate(specs):
            if j != i:
                port = proxy.add_link(Link(i, j, other.p2p_port))
                peers.append(f"/ip4/127.0.0.1/tcp/{port}/p2p/{other.peer_id}")
        set_persistent_peers(Home(spec.home), peers)
    run_cli("devnet", "--detach", "--home", str(root))
    net = Devnet(root)
    try:
        net.wait_for_height(3, list(range(VALIDATORS)), timeout=120)
        yield net, proxy
    finally:
        run_cli("devnet", "stop", "--home", str(root), check=False)
        proxy.close()


def blocks_per_second(net: Devnet, nodes: list[int], seconds: float) -> float:
    start = min(net.heights(nodes))
    time.sleep(seconds)
    return (min(net.heights(nodes)) - start) / seconds


def test_blackholed_validator_does_not_stall_the_others_and_catches_up(proxied_devnet) -> None:
    net, proxy = proxied_devnet
    others = [0, 1, 2]
    before = blocks_per_second(net, others, 15)
    assert before > 0
    proxy.blackhole(3)
    during = blocks_per_second(net, others, 60)
    assert during >= 0.5 * before, f"{during:.2f} blocks/s while partitioned, {before:.2f} before"
    proxy.heal(3)
    healed_at = time.monotonic()
    tip = max(net.heights(others))
    wait_until(lambda: net.heights([3])[0] >= tip, 60, "node3 to catch up")
    catch_up = time.monotonic() - healed_at
    print(f"blocks/s: {before:.2f} before, {during:.2f} partitioned; caught up {catch_up:.1f} s after the heal")
    assert catch_up <= 10.0, f"node3 took {catch_up:.1f} s to catch up"
