"""End to end: a 4-validator devnet of real processes on 127.0.0.1 (`akechain devnet --detach`)."""
from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import httpx
import pytest

from akechain.node.config import load_config, save_config
from akechain.chain.crypto import parse_address
from akechain.client.keystore import Keystore
from akechain.node.network import LARGE_MESSAGE_PROTOCOL, topic_names
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.tx import build_tx_paying_fee
from consensus import sync
from consensus.types import FLAG_COMMIT
from tests.conftest import Devnet
from tests.node_process import NodeProcess, free_port, run_cli, wait_until

pytestmark = pytest.mark.slow


def kill9(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_txs_sent_to_any_node_commit_with_one_app_hash_everywhere(devnet: Devnet) -> None:
    keys = Keystore(devnet.root / "keyring")
    faucet = keys.load("faucet", devnet.passphrase)
    recipient = parse_address(keys.add("bob", devnet.passphrase).address)
    fee_params = AUTH_PARAMS.from_json(devnet.nodes[0].get("/params").json()["auth"])
    txs = [build_tx_paying_fee(faucet, devnet.chain_id, nonce, [MsgSend(recipient, 10 + nonce)], fee_params)
           for nonce in range(12)]
    # Consecutive nonces must reach one mempool in order; spread whole accounts over nodes instead
    # by sending every tx to a different node only after the previous one committed.
    heights = []
    for nonce, tx in enumerate(txs):
        node = devnet.nodes[nonce % 4]
        answer = httpx.post(f"{node.url}/txs", content=tx.hex(), params={"wait": "commit"}, timeout=60).json()
        assert answer["check"]["code"] == 0, answer
        assert answer["result"]["code"] == 0, answer
        heights.append(answer["result"]["height"])
    top = max(heights) + 1
    devnet.wait_for_height(top, [0, 1, 2, 3])
    for height in range(1, top + 1):
        app_hashes = {n.get(f"/blocks/{height}").json()["header"]["app_hash"] for n in devnet.nodes}
        assert len(app_hashes) == 1, f"app hashes differ at height {height}: {app_hashes}"
    balances = {n.get(f"/accounts/{keys.show('bob').address}").json()["balance"] for n in devnet.nodes}
    assert len(balances) == 1


def test_the_devnet_table_shows_each_validators_power_and_uptime(devnet: Devnet) -> None:
    from rich.console import Console

    from akechain.cli.devnet import devnet_table, node_specs

    devnet.wait_for_height(3, [0, 1, 2, 3])
    specs = node_specs(devnet.root)
    console = Console(width=200, record=True)
    console.print(devnet_table(specs, [(devnet.pid(i), False) for i in range(4)]))
    rows = [line for line in console.export_text().splitlines() if line.lstrip("│ ").startswith("node")]
    assert len(rows) == 4, rows
    power = str(devnet.nodes[0].status()["voting_power"])
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[6] == power and cells[7].endswith("%") and 0 <= int(cells[7].rstrip(" %")) <= 100, cells


def test_block_last_commits_credit_every_live_validator(devnet: Devnet) -> None:
    """A block's last commit holds the precommits that came in after the first +2/3 too, so on a
    healthy devnet all four validators sign most commits (uptime and rewards count them)."""
    first = max(devnet.heights()) + 1
    devnet.wait_for_height(first + 12, [0])
    signers = [sum(s["flag"] == FLAG_COMMIT for s in devnet.nodes[0].get(f"/blocks/{h}").json()["last_commit"]["signatures"])
               for h in range(first, first + 12)]
    assert sum(n == 4 for n in signers) * 2 > len(signers), signers


def test_two_of_four_down_halts_without_fork_and_resumes(devnet: Devnet) -> None:
    kill9(devnet.pid(2))
    kill9(devnet.pid(3))
    halted = max(devnet.heights([0, 1]))
    wait_until(lambda: devnet.nodes[0].status()["round"] >= 2, 60, "rounds to advance while halted")
    assert max(devnet.heights([0, 1])) <= halted + 1  # at most the height that was already decided
    stuck = devnet.heights([0, 1])
    devnet.nodes[2].start()
    devnet.nodes[3].start()
    devnet.wait_for_height(max(stuck) + 3, [0, 1, 2, 3], timeout=90)
    for height in range(1, max(stuck) + 3):
        hashes = {n.get(f"/blocks/{height}").json()["hash"] for n in devnet.nodes}
        assert len(hashes) == 1, f"fork at height {height}"


def test_garbage_on_every_topic_and_protocol_leaves_nodes_up(devnet: Devnet) -> None:
    from tests.p2p_garbage import spray_garbage

    devnet.wait_for_height(4, [0, 1, 2, 3])  # a settled mesh, so the check below measures the garbage alone
    before = max(devnet.heights())
    spray_garbage([n["p2p"] for n in devnet.doc["nodes"]], list(topic_names(devnet.chain_id)),
                  [sync.PROTOCOL_ID, LARGE_MESSAGE_PROTOCOL], random.Random(7))
    devnet.wait_for_height(before + 3, [0, 1, 2, 3], timeout=120)
    _, consensus_topic, _ = topic_names(devnet.chain_id)
    verdicts = [gossip_verdicts(node) for node in devnet.nodes]
    assert all(v.get((consensus_topic, "accept"), 0) > 0 for v in verdicts)  # honest votes, counted per topic
    assert sum(count for v in verdicts for (_, verdict), count in v.items() if verdict == "reject") > 0  # the junk


def gossip_verdicts(node: NodeProcess) -> dict[tuple[str, str], float]:
    """`akechain_gossip_messages_total` of a node's /metrics by (topic, verdict)."""
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.labels["topic"], s.labels["verdict"]): s.value for family in text_string_to_metric_families(node.get("/metrics").text)
            for s in family.samples if s.name == "akechain_gossip_messages_total"}


def test_killed_validator_rejoins_by_block_sync_without_double_signing(devnet: Devnet) -> None:
    kill9(devnet.pid(3))
    before = max(devnet.heights([0, 1, 2]))
    devnet.wait_for_height(before + 5, [0, 1, 2])  # three of four keep committing
    devnet.nodes[3].start()
    tip = max(devnet.heights([0, 1, 2]))
    devnet.wait_for_height(tip + 2, [0, 1, 2, 3], timeout=90)
    for height in range(1, tip + 2):
        block = devnet.nodes[0].get(f"/blocks/{height}").json()
        assert block["evidence"] == [], f"double-sign evidence at height {height}: {block['evidence']}"


def test_a_fifth_node_syncs_from_genesis_past_a_lying_peer(devnet: Devnet, tmp_path: Path) -> None:
    from tests.lying_peer import LyingPeer

    devnet.wait_for_height(12, [0])
    with LyingPeer(devnet.doc["nodes"][0]["p2p"], free_port()) as liar:
        home = tmp_path / "node4"
        (tmp_path / "pass5").write_text("x")
        rpc_port = free_port()
        run_cli("init", "--home", str(home), "--chain-id", devnet.chain_id, "--moniker", "node4", "--rpc-port",
                str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(tmp_path / "pass5"))
        (home / "genesis.json").write_text((devnet.nodes[0].home / "genesis.json").read_text())
        config = load_config(home / "config.toml")
        config.p2p.persistent_peers = [liar.address] + [n["p2p"] for n in devnet.doc["nodes"]]
        save_config(config, home / "config.toml")
        fifth = NodeProcess(home, rpc_port).start()
        try:
            tip = max(devnet.heights())
            fifth.wait_for_height(tip, timeout=90)
            assert liar.requests_served > 0  # it was asked, and still did not stall the sync
            assert "misbehaved in block sync" in fifth.log_tail(1000)
            assert fifth.status()["voting_power"] == 0
            for height in (1, tip // 2, tip):
                assert fifth.get(f"/blocks/{height}").json()["hash"] == devnet.nodes[1].get(f"/blocks/{height}").json()["hash"]
        finally:
            fifth.stop()
