"""Batch signature checks: the worker-process pool agrees with in-process checks, survives its
worker's death, and the app's `verify_txs` sends one batch and remembers only what it passed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

import pytest

from akechain.chain.crypto import SignatureCheck, get_address, get_pub_key, sign, signing_key_from_seed, verify_signatures
from akechain.chain.tx import InvalidSignatureError, build_send_tx
from akechain.node.signature_pool import MIN_POOLED_BATCH, SignaturePool
from test_app_support import CHAIN_ID, make_app, make_genesis, make_keys

KEYS = make_keys(2)


def make_checks(count: int, forged_every: int) -> tuple[list[SignatureCheck], list[bool]]:
    key = signing_key_from_seed(bytes([9]) * 32)
    checks: list[SignatureCheck] = []
    for i in range(count):
        message = i.to_bytes(4, "big")
        signature = sign(key, message)
        if i % forged_every == 0:
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        checks.append((get_pub_key(key), message, signature))
    return checks, [i % forged_every != 0 for i in range(count)]


@pytest.fixture
def pool():
    signatures = SignaturePool()
    yield signatures
    signatures.close()


def test_pooled_verdicts_match_in_process_checks(pool: SignaturePool) -> None:
    checks, expected = make_checks(3 * MIN_POOLED_BATCH, forged_every=7)
    assert verify_signatures(checks) == expected
    assert pool.verify(checks) == expected
    small, small_expected = make_checks(5, forged_every=2)
    assert pool.verify(small) == small_expected


def test_a_dead_worker_falls_back_to_in_process_checks(pool: SignaturePool) -> None:
    checks, expected = make_checks(2 * MIN_POOLED_BATCH, forged_every=5)
    assert pool.verify(checks) == expected  # the worker is up
    for pid in list(pool._executor._processes):  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
    assert pool.verify(checks) == expected
    assert pool.verify(checks) == expected  # and goes on without a worker


def test_a_closed_pool_still_answers(pool: SignaturePool) -> None:
    pool.close()
    checks, expected = make_checks(MIN_POOLED_BATCH, forged_every=3)
    assert pool.verify(checks) == expected


def test_verify_txs_checks_one_batch_and_remembers_only_valid_txs() -> None:
    batches: list[int] = []

    def counting_batch(checks: list[SignatureCheck]) -> list[bool]:
        batches.append(len(checks))
        return verify_signatures(checks)

    app, _ = make_app(make_genesis(KEYS)["app_state"], verify_batch=counting_batch)
    good = [build_send_tx(KEYS[0], CHAIN_ID, nonce, get_address(KEYS[1]), 1, 10) for nonce in range(3)]
    forged = good[0][:-1] + bytes([good[0][-1] ^ 1])
    app.verify_txs([*good, forged, b"not a tx"])
    assert batches == [4]  # the junk is refused before any signature check; the rest in one call
    app.verify_txs(good)
    assert batches == [4, 0]  # verified once: the cached verdicts are not checked again
    assert app.check_tx(good[0]).ok
    assert app.check_tx(forged).code == InvalidSignatureError.code  # not remembered: refused in order


def test_the_worker_exits_when_the_node_is_killed(tmp_path) -> None:
    """A SIGKILLed node never closes its pool: the worker notices and exits by itself."""
    script = tmp_path / "node.py"
    script.write_text(
        "import os, sys\n"
        "from akechain.node.signature_pool import SignaturePool\n"
        "if __name__ == '__main__':\n"
        "    pool = SignaturePool()\n"
        "    print(*pool._executor._processes, flush=True)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while psutil.pid_exists(worker) and psutil.Process(worker).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the signature worker outlived its node"
        time.sleep(0.1)
