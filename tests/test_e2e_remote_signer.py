"""End to end: one devnet validator signs through `akechain signer run` over a unix socket (its home
then holds no key), keeps proposing and voting, and kill -9 of the signer or of the node, in a
loop, never yields duplicate-vote evidence or a tombstone."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import Devnet
from tests.node_process import AKECHAIN, NodeProcess, wait_until

pytestmark = pytest.mark.slow
KILL_ROUNDS = 3


class SignedNode(NodeProcess):
    """A node started with `--signer ADDRESS`."""

    def __init__(self, home: Path, rpc_port: int, address: str) -> None:
        super().__init__(home, rpc_port)
        self.address = address

    def start(self) -> "SignedNode":
        log = open(self.home / "node.log", "ab")
        self.proc = subprocess.Popen([*AKECHAIN, "start", "--home", str(self.home), "--signer", self.address],
                                     stdout=log, stderr=log)
        wait_until(self.is_serving, 60, f"node {self.home} to serve {self.url}")
        return self


class SignerProcess:
    def __init__(self, home: Path, address: str, chain_id: str) -> None:
        self.home, self.address, self.chain_id = home, address, chain_id
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "SignerProcess":
        log = open(self.home / "signer.log", "ab")
        self.proc = subprocess.Popen([*AKECHAIN, "signer", "run", "--home", str(self.home), "--listen", self.address,
                                      "--chain-id", self.chain_id], stdout=log, stderr=log)
        socket_path = Path(self.address[len("unix://"):])
        wait_until(lambda: socket_path.exists() and self.proc.poll() is None, 30, "the signer to listen")
        return self

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def test_a_validator_with_a_remote_signer_survives_kill9_loops_without_double_signing(devnet: Devnet,
                                                                                     tmp_path: Path) -> None:
    node_home = devnet.nodes[3].home
    os.kill(devnet.pid(3), signal.SIGTERM)
    wait_until(lambda: not is_up(devnet.nodes[3]), 30, "node 3 to stop")
    signer_home = tmp_path / "signer"
    signer_home.mkdir()
    for name in ("priv_validator_key.json", "priv_validator_state.json"):
        shutil.move(node_home / name, signer_home / name)
    address = f"unix://{signer_home}/signer.sock"
    signer = SignerProcess(signer_home, address, devnet.chain_id).start()
    node = SignedNode(node_home, int(devnet.nodes[3].url.rsplit(":", 1)[1]), address)
    devnet.nodes[3] = node
    try:
        node.start()
        validator = node.status()["validator_address"]
        assert validator and not (node_home / "priv_validator_key.json").exists()
        start = node.status()["height"]
        devnet.wait_for_height(start + 8, [0, 1, 2, 3], timeout=90)
        assert proposers(devnet, start + 1, start + 8).count(validator) >= 1, "the signed node never proposed"

        for _ in range(KILL_ROUNDS):
            signer.kill9()
            time.sleep(1.5)  # the node misses votes meanwhile, and must not sign them later twice
            signer.start()
            devnet.wait_for_height(max(devnet.heights([0])) + 2, [0, 1, 2, 3], timeout=90)
            node.kill9()
            node.start()
            devnet.wait_for_height(max(devnet.heights([0])) + 2, [0, 1, 2, 3], timeout=90)

        resumed = devnet.heights([0])[0]
        devnet.wait_for_height(resumed + 6, [0, 1, 2, 3], timeout=90)
        tip = devnet.heights([0])[0]
        assert signed_commits(devnet, resumed + 1, tip, validator) >= 1, \
            f"the signed node's precommits stopped: {devnet.nodes[0].get(f'/blocks/{tip}').json()['last_commit']}"
        for height in range(1, tip + 1):
            block = devnet.nodes[0].get(f"/blocks/{height}").json()
            assert block["evidence"] == [], f"duplicate-vote evidence at height {height}: {block['evidence']}"
        assert not any(v["tombstoned"] for v in devnet.nodes[0].get("/validators").json())
    finally:
        node.stop()
        signer.kill9()


def is_up(node: NodeProcess) -> bool:
    try:
        return node.is_serving()
    except Exception:  # noqa: BLE001  refused connection: it is down
        return False


def proposers(devnet: Devnet, first: int, last: int) -> list[str]:
    return [devnet.nodes[0].get(f"/blocks/{h}").json()["header"]["proposer_address"] for h in range(first, last + 1)]


def signed_commits(devnet: Devnet, first: int, last: int, validator: str) -> int:
    """Blocks in [first, last] whose last commit carries the validator's signature."""
    count = 0
    for height in range(first, last + 1):
        commit = devnet.nodes[0].get(f"/blocks/{height}").json()["last_commit"]
        count += any(s.get("validator_address") == validator and s.get("signature") for s in commit.get("signatures", []))
    return count
