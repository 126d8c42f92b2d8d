"""Slashing on a real 4-validator devnet (short params through `akechain devnet --params`):
a validator stopped past the downtime window is jailed and slashed 1%, unjails by
`akechain tx slashing unjail` and signs again; a validator whose key runs in two processes at once
is slashed 5%, tombstoned and removed from the set while the chain keeps going."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any, Iterator

import pytest

from akechain.client.keystore import Keystore
from consensus.types import FLAG_COMMIT
from tests.conftest import Devnet, running_devnet
from tests.node_process import NodeProcess, run_cli, wait_until
from tests.test_e2e_evidence import start_twin

pytestmark = pytest.mark.slow

WINDOW = 10
JAIL_MS = 5_000
PARAMS = {"slashing": {"signed_blocks_window": WINDOW, "downtime_jail_duration": JAIL_MS},
          "staking": {"unbonding_time_ms": 30_000}}


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
    before = get_validator(watcher, operator)
    burned_before = watcher.get("/supply").json()["burned"]
    assert before["uptime"] == 1.0 and before["signed_blocks_window"] == WINDOW and not before["jailed"]
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
