"""End to end: a validator frozen with SIGSTOP for 10 s (its sockets stay open, it answers nothing)
and resumed catches up, signs blocks again, and no evidence is ever raised against it."""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import Devnet
from tests.node_process import wait_until

pytestmark = pytest.mark.slow
PAUSED = 2


def signers(net: Devnet, height: int) -> set[str]:
    """Validator addresses (hex) whose precommit for `height` is in the commit stored with block height+1."""
    block = net.nodes[0].get(f"/blocks/{height + 1}").json()
    return {sig["validator_address"] for sig in block["last_commit"]["signatures"] if sig["signature"]}


def test_sigstopped_validator_catches_up_and_signs_again_without_evidence(devnet: Devnet) -> None:
    others = [i for i in range(4) if i != PAUSED]
    address = devnet.nodes[PAUSED].status()["validator_address"]
    start = max(devnet.heights())
    os.kill(devnet.pid(PAUSED), signal.SIGSTOP)
    try:
        paused_at = min(devnet.heights(others))
        time.sleep(10)
        assert min(devnet.heights(others)) > paused_at + 3, "the other three stopped while one validator was frozen"
    finally:
        os.kill(devnet.pid(PAUSED), signal.SIGCONT)
    resumed_tip = max(devnet.heights(others))
    wait_until(lambda: devnet.heights([PAUSED])[0] >= resumed_tip, 30, "the resumed validator to catch up")
    signed = wait_until(
        lambda: next((h for h in range(resumed_tip, devnet.nodes[0].status()["height"]) if address in signers(devnet, h)), None),
        60, "a block the resumed validator signed")
    last = devnet.nodes[0].status()["height"]
    with_evidence = [h for h in range(start, last + 1) if devnet.nodes[0].get(f"/blocks/{h}").json()["evidence"]]
    assert with_evidence == [], f"evidence in blocks {with_evidence} after a pause (height {signed} signed)"
