"""Slashing on a real 4-validator devnet (short params through `akechain devnet --params`):
a validator stopped past the downtime window is jailed and slashed 1%, unjails by
`akechain tx slashing unjail` and signs again; a validator whose key runs in two processes at once
is slashed 5%, tombstoned and removed from the set while the chain keeps going; a fifth node
started as a full node becomes a validator by `create-validator`, signs, and leaves the set when its
stake is undelegated, which comes back only after the (devnet-short) unbonding period."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any, Iterator

import pytest

from akechain.chain.crypto import parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet
from akechain.node.config import load_config, save_config
from consensus.types import FLAG_COMMIT
from tests.conftest import Devnet, running_devnet
from tests.node_process import NodeProcess, free_port, run_cli, wait_until
from tests.test_e2e_evidence import start_twin

pytestmark = pytest.mark.slow

WINDOW = 20
JAIL_MS = 5_000
UNBONDING_MS = 30_000
PARAMS = {"slashing": {"signed_blocks_window": WINDOW, "downtime_jail_duration": JAIL_MS},
          "staking": {"unbonding_time_ms": UNBONDING_MS}}


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    params = tmp_path / "params.json"
    params.write_text(json.dumps(PARAMS))
    with running_devnet(tmp_path / "devnet", "--params", str(params)) as net:
        yield net


def get_operator(node: NodeProcess) -> str:
    return Keystore(node.home / "keyring").show("validator").address


def get_validator(node: NodeProcess, operator: str) -> dict[str, Any]:
    return node.get(f"/validators/{operator}").json()


def stop_pid(pid: int) -> None:
    """SIGTERM a detached devnet node and wait until it is gone."""
    os.kill(pid, signal.SIGTERM)

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(gone, 30, f"node process {pid} to exit")


def signed_by(node: NodeProcess, height: int, address: str) -> bool:
    """The commit of `height` (in block height + 1) holds `address`'s precommit."""
    sigs = node.get(f"/blocks/{height + 1}").json()["last_commit"]["signatures"]
    return any(s["validator_address"] == address and s["flag"] == FLAG_COMMIT for s in sigs)


def test_a_stopped_validator_is_jailed_and_slashed_then_unjails_and_signs_again(devnet: Devnet) -> None:
    watcher, offline = devnet.nodes[0], devnet.nodes[3]
    operator, address = get_operator(offline), offline.status()["validator_address"]
    # Under load node 3 may start seconds after the others and miss the first blocks: the baseline is
    # taken once the window shows it signing (late precommits count, so a live validator nears 1.0).
    before = wait_until(lambda: (v := get_validator(watcher, operator))["uptime"] >= 0.8 and v, 120,
                        "the fourth validator signing most blocks of the window")
    burned_before = watcher.get("/supply").json()["burned"]
    assert before["signed_blocks_window"] == WINDOW and not before["jailed"]
    stop_pid(devnet.pid(3))
    jailed = wait_until(lambda: (v := get_validator(watcher, operator))["jailed"] and v, 120, "the stopped validator jailed")
    slashed = before["tokens"] * 100 // 10_000
    assert jailed["tokens"] == before["tokens"] - slashed
    assert watcher.get("/supply").json()["burned"] >= burned_before + slashed
    wait_until(lambda: get_validator(watcher, operator)["power"] == 0, 30, "the jailed validator out of the set")
    assert get_validator(watcher, operator)["status"] == "unbonding"
    jailed_at = watcher.status()["height"]
    devnet.wait_for_height(jailed_at + 3, [0, 1, 2])  # the other three go on

    offline.start()
    devnet.wait_for_height(watcher.status()["height"], [3], timeout=120)
    signer = ["--key", "validator", "--home", str(offline.home), "--node", watcher.url,
              "--passphrase-file", str(devnet.root / "passphrase")]

    def unjail() -> bool:
        answer = json.loads(run_cli("tx", "slashing", "unjail", *signer, check=False).stdout or "{}")
        return answer.get("code") == 0

    wait_until(unjail, 60, "an unjail once the jail is over")
    back = wait_until(lambda: (v := get_validator(watcher, operator))["power"] > 0 and v, 30, "the validator back in the set")
    assert back["status"] == "bonded" and not back["jailed"]
    rejoined = watcher.status()["height"]

    def signs_a_new_block() -> bool:
        tip = watcher.status()["height"]
        return any(signed_by(watcher, h, address) for h in range(rejoined + 1, tip))

    wait_until(signs_a_new_block, 60, "the unjailed validator's precommit in a commit")
    info = json.loads(run_cli("query", "slashing", "signing-info", operator, "--node", watcher.url).stdout)
    assert info["operator"] == operator and info["jailed_until_ms"] > 0 and not info["tombstoned"]


def test_a_double_signing_validator_is_slashed_tombstoned_and_removed(devnet: Devnet, tmp_path: Path) -> None:
    watcher, offender = devnet.nodes[0], devnet.nodes[3]
    operator = get_operator(offender)
    before = get_validator(watcher, operator)
    reduction = watcher.get("/params/staking").json()["power_reduction"]
    twin = start_twin(devnet, tmp_path, of=3)
    try:
        punished = wait_until(lambda: (v := get_validator(watcher, operator))["tombstoned"] and v, 180,
                              "the double signer tombstoned")
    finally:
        twin.stop()
    assert punished["jailed"]
    assert punished["tokens"] == before["tokens"] - before["power"] * reduction * 500 // 10_000
    wait_until(lambda: get_validator(watcher, operator)["power"] == 0, 30, "the double signer out of the set")
    removed_at = watcher.status()["height"]
    devnet.wait_for_height(removed_at + 5, [0, 1, 2])  # the chain keeps going without it
    tokens = watcher.get("/validators").json()
    assert sum(v["power"] for v in tokens) == sum(v["power"] for v in tokens if v["operator"] != operator) > 0


def start_full_node(devnet: Devnet, tmp_path: Path) -> NodeProcess:
    """A fifth node on the devnet's genesis with a fresh validator key: a full node until it bonds."""
    home = tmp_path / "node4"
    (tmp_path / "pass5").write_text(devnet.passphrase + "\n")
    rpc_port = free_port()
    run_cli("init", "--home", str(home), "--chain-id", devnet.chain_id, "--moniker", "node4", "--rpc-port",
            str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(tmp_path / "pass5"))
    (home / "genesis.json").write_text((devnet.nodes[0].home / "genesis.json").read_text())
    config = load_config(home / "config.toml")
    config.p2p.persistent_peers = [n["p2p"] for n in devnet.doc["nodes"]]
    save_config(config, home / "config.toml")
    return NodeProcess(home, rpc_port).start()


def get_balance(node: NodeProcess, address: str) -> int:
    return node.get(f"/accounts/{address}").json()["balance"]


def test_a_full_node_bonds_signs_and_leaves_and_its_stake_returns_after_unbonding(devnet: Devnet, tmp_path: Path) -> None:
    watcher = devnet.nodes[0]
    fifth = start_full_node(devnet, tmp_path)
    try:
        operator = get_operator(fifth)
        bond = 20_000_000
        with NodeClient(watcher.url) as client:
            faucet = Keystore(devnet.root / "keyring").load("faucet", devnet.passphrase)
            Wallet(client, faucet).send([MsgSend(to=parse_address(operator), amount=2 * bond)])
        fifth.wait_for_height(watcher.status()["height"], timeout=90)
        assert fifth.status()["voting_power"] == 0
        signer = ["--key", "validator", "--home", str(fifth.home), "--node", watcher.url,
                  "--passphrase-file", str(tmp_path / "pass5")]
        answer = json.loads(run_cli("tx", "staking", "create-validator", "--amount", str(bond), "--moniker", "node4",
                                    *signer).stdout)
        assert answer["code"] == 0, answer
        address = fifth.status()["validator_address"]
        joined = answer["height"]

        def signs_a_new_block() -> bool:
            tip = watcher.status()["height"]
            return any(signed_by(watcher, h, address) for h in range(joined + 2, tip))

        wait_until(signs_a_new_block, 60, "the new validator's precommit in a commit")
        assert get_validator(watcher, operator)["status"] == "bonded"

        answer = json.loads(run_cli("tx", "staking", "undelegate", operator, str(bond), *signer).stdout)
        assert answer["code"] == 0, answer
        wait_until(lambda: get_validator(watcher, operator)["power"] == 0, 30, "the unbonded validator out of the set")
        # It signs until the set changes at H+2, and each block credits the last one's signers: once
        # those are in, its commission is final; it is paid when the unbonded validator is removed.
        devnet.wait_for_height(watcher.status()["height"] + 3, [0])
        (entry,) = watcher.get(f"/unbonding/{operator}").json()["unbonding"][0]["entries"]
        assert entry["balance"] == bond
        before_completion = watcher.status()["block_time"]
        held = get_balance(watcher, operator)
        commission = watcher.get(f"/rewards/{operator}").json()["commission"]
        assert before_completion < entry["completion_time_ms"]  # so `held` is a balance within the period
        wait_until(lambda: get_balance(watcher, operator) >= held + bond, UNBONDING_MS / 1000 + 60,
                   "the undelegated stake back")
        wait_until(lambda: get_balance(watcher, operator) == held + bond + commission, 30, "the commission paid")
        assert watcher.status()["block_time"] >= entry["completion_time_ms"]
        assert watcher.get(f"/unbonding/{operator}").json()["unbonding"] == []
    finally:
        fifth.stop()
