"""End to end: a validator key run by two processes at once double-signs; the conflicting votes
become duplicate-vote evidence that reaches a block every node accepted."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from akechain.node.config import load_config, save_config
from tests.conftest import Devnet
from tests.node_process import NodeProcess, free_port, run_cli, wait_until

pytestmark = pytest.mark.slow


def start_twin(devnet: Devnet, tmp_path: Path, of: int) -> NodeProcess:
    """A fifth process holding node `of`'s validator key, with fresh signing state and node key.

    Its propose timeout is 1 ms, so in most rounds it prevotes nil while the original prevotes the
    proposal: the key signs conflicting votes at nearly every height, not only when timing makes two
    identical processes diverge (which a loaded machine could leave undone for minutes)."""
    home = tmp_path / "twin"
    (tmp_path / "pass").write_text("x")
    rpc_port = free_port()
    run_cli("init", "--home", str(home), "--chain-id", devnet.chain_id, "--moniker", "twin", "--rpc-port",
            str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(tmp_path / "pass"))
    original = devnet.nodes[of].home
    shutil.copy(original / "genesis.json", home / "genesis.json")
    shutil.copy(original / "priv_validator_key.json", home / "priv_validator_key.json")
    config = load_config(home / "config.toml")
    config.p2p.persistent_peers = [n["p2p"] for n in devnet.doc["nodes"]]
    config.consensus = replace(config.consensus, timeout_propose_ms=1)
    save_config(config, home / "config.toml")
    return NodeProcess(home, rpc_port).start()


def wait_for_evidence_block(node: NodeProcess, first: int, timeout: float) -> dict:
    """The first block from height `first` on that carries evidence; each block is read once."""
    next_height = first

    def scan() -> dict | None:
        nonlocal next_height
        tip = node.status()["height"]
        while next_height <= tip:
            block = node.get(f"/blocks/{next_height}").json()
            if block["evidence"]:
                return block
            next_height += 1
        return None

    return wait_until(scan, timeout, "duplicate-vote evidence in a block")


def test_double_signing_ends_as_evidence_in_a_block(devnet: Devnet, tmp_path: Path) -> None:
    start = max(devnet.heights())
    twin = start_twin(devnet, tmp_path, of=3)
    try:
        block = wait_for_evidence_block(devnet.nodes[0], start, 120)
    finally:
        twin.stop()
    evidence = block["evidence"][0]
    offender = devnet.nodes[3].status()["validator_address"]
    assert evidence["vote_a"]["validator_address"] == offender == evidence["vote_b"]["validator_address"]
    assert evidence["vote_a"]["block_id"] != evidence["vote_b"]["block_id"]
    devnet.wait_for_height(block["height"], [0, 1, 2, 3])
    assert {n.get(f"/blocks/{block['height']}").json()["hash"] for n in devnet.nodes} == {block["hash"]}
