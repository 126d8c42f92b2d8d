"""Fixtures shared by the end-to-end tests: one real node, or a 4-validator devnet."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.node_process import NodeProcess, free_port, free_ports, run_cli, wait_until

PASSPHRASE = "e2e passphrase"


def init_single_node(tmp_path: Path) -> NodeProcess:
    """`akechain init` a one-validator home with free ports and a short commit pause."""
    home = tmp_path / "n0"
    passphrase_file = tmp_path / "pass"
    passphrase_file.write_text(PASSPHRASE + "\n")
    rpc_port = free_port()
    run_cli("init", "--home", str(home), "--chain-id", "ake-e2e-1", "--moniker", "n0",
            "--rpc-port", str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(passphrase_file))
    config = home / "config.toml"
    config.write_text(config.read_text().replace("timeout_commit_ms = 500", "timeout_commit_ms = 200"))
    return NodeProcess(home, rpc_port)


@pytest.fixture
def single_node(tmp_path: Path):
    process = init_single_node(tmp_path).start()
    yield process
    assert process.stop() == 0, process.log_tail()


class Devnet:
    """A devnet started with `akechain devnet --detach`, read from its devnet.json."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.doc: dict[str, Any] = json.loads((root / "devnet.json").read_text())
        self.nodes = [NodeProcess(Path(n["home"]), int(n["rpc"].rsplit(":", 1)[1])) for n in self.doc["nodes"]]
        self.passphrase = (root / "passphrase").read_text().strip()
        self.chain_id: str = self.doc["chain_id"]

    def pid(self, i: int) -> int:
        return self.doc["nodes"][i]["pid"]

    def heights(self, nodes: list[int] | None = None) -> list[int]:
        return [self.nodes[i].status()["height"] for i in (nodes if nodes is not None else range(len(self.nodes)))]

    def wait_for_height(self, height: int, nodes: list[int], timeout: float = 60) -> None:
        wait_until(lambda: min(self.heights(nodes)) >= height, timeout, f"nodes {nodes} at height {height}")


@contextmanager
def running_devnet(root: Path, *extra_args: str) -> Iterator[Devnet]:
    """Four validators on free ports (extra `akechain devnet` args, e.g. --market-params FILE);
    every node is stopped on exit, including ones a test restarted itself."""
    run_cli("devnet", "--detach", "--home", str(root), "--base-port", str(free_ports(8)), "--validators", "4",
            *extra_args)
    net = Devnet(root)
    try:
        net.wait_for_height(2, [0, 1, 2, 3])
        yield net
    finally:
        for node in net.nodes:
            node.stop()  # nodes a test restarted itself; the others are stopped by `devnet stop`
        run_cli("devnet", "stop", "--home", str(root), check=False)


@pytest.fixture
def devnet(tmp_path: Path):
    with running_devnet(tmp_path / "devnet") as net:
        yield net
