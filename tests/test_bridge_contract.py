"""AkeBridge on eth-tester: mints need > 2/3 of the set's power, batches never replay, stale or
timed-out batches are void, valsets follow each other signed by the current set, burns emit
gap-free event nonces; the committed artifact is what the pinned compiler makes of the source."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess

import pytest
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from akechain.bridge.contract import ARTIFACT_PATH
from akechain.chain.modules.bridge.evm import (
    EvmSignature,
    EvmSignatureError,
    evm_address,
    normalise_powers,
    recover_signer,
    sign_digest,
)
from tests.bridge_support import Valset, deploy_bridge, evm_keys

CONTRACTS = ARTIFACT_PATH.parent


def assert_reverts(error_signature: str, action) -> None:
    """`action` reverts with the custom error `error_signature` (e.g. "ZeroAmount()")."""
    with pytest.raises((ContractCustomError, TransactionFailed)) as raised:
        action()
    data = raised.value.args[0]
    if isinstance(raised.value, TransactionFailed):  # eth-tester: "execution reverted: b'...'"
        revert_data = ast.literal_eval(str(data).removeprefix("execution reverted: "))
    else:
        revert_data = bytes.fromhex(str(data).removeprefix("0x"))
    assert revert_data[:4] == keccak(text=error_signature)[:4], f"reverted with {revert_data[:4].hex()}, not {error_signature}"


@pytest.fixture
def bridge():
    # four validators, the first three hold 3/4 of the power: any three of them are enough, two are not
    return deploy_bridge(Valset(keys=evm_keys(4), powers=[25, 25, 25, 25]))


def test_checkpoint_and_batch_hash_agree_with_the_contract(bridge):
    contract = bridge.contract.functions
    assert contract.stateValsetCheckpoint().call() == bridge.checkpoint(bridge.valset)
    assert contract.makeCheckpoint(bridge.valset.args()).call() == bridge.checkpoint(bridge.valset)
    user = bridge.users[0]
    assert contract.batchHash([5], [user], 1, 99).call() == bridge.batch_digest([5], [user], 1, 99)
    assert contract.decimals().call() == 6


def test_a_batch_signed_by_more_than_two_thirds_mints_exactly(bridge):
    alice, bob = bridge.users[:2]
    receipt = bridge.submit_batch([700, 300], [alice, bob], nonce=1, timeout=1_000, signers=[0, 1, 2])
    assert receipt.status == 1
    assert (bridge.balance(alice), bridge.balance(bob)) == (700, 300)
    assert bridge.contract.functions.totalSupply().call() == 1_000
    (event,) = bridge.contract.events.BatchExecuted().process_receipt(receipt)
    assert (event.args.batchNonce, event.args.eventNonce, event.args.total) == (1, 1, 1_000)


def test_two_thirds_exactly_is_not_enough():
    bridge = deploy_bridge(Valset(keys=evm_keys(3), powers=[1, 1, 1]))
    assert_reverts(
        "InsufficientPower(uint256,uint256)",
        lambda: bridge.submit_batch([1], [bridge.users[0]], nonce=1, timeout=1_000, signers=[0, 1]),
    )
    assert bridge.balance(bridge.users[0]) == 0


def test_signatures_of_half_the_power_revert(bridge):
    assert_reverts(
        "InsufficientPower(uint256,uint256)",
        lambda: bridge.submit_batch([1], [bridge.users[0]], nonce=1, timeout=1_000, signers=[0, 1]),
    )


def test_a_replayed_or_older_batch_reverts(bridge):
    user = bridge.users[0]
    bridge.submit_batch([5], [user], nonce=3, timeout=1_000, signers=[0, 1, 2])
    assert_reverts(
        "StaleBatchNonce(uint256,uint256)",
        lambda: bridge.submit_batch([5], [user], nonce=3, timeout=1_000, signers=[0, 1, 2]),
    )
    assert_reverts(
        "StaleBatchNonce(uint256,uint256)",
        lambda: bridge.submit_batch([5], [user], nonce=2, timeout=1_000, signers=[0, 1, 2]),
    )
    assert bridge.balance(user) == 5


def test_a_timed_out_batch_reverts(bridge):
    height = bridge.w3.eth.block_number
    assert_reverts(
        "BatchTimedOut(uint256,uint256)",
        lambda: bridge.submit_batch([5], [bridge.users[0]], nonce=1, timeout=height, signers=[0, 1, 2]),
    )


def test_a_signature_over_other_data_or_by_another_key_reverts(bridge):
    user = bridge.users[0]
    digest = bridge.batch_digest([5], [user], 1, 1_000)
    sigs = bridge.valset.sign(digest, [0, 1, 2])
    # the relayer raises the amount after the validators signed
    assert_reverts(
        "InvalidSignature(uint256)",
        lambda: bridge.transact(
            bridge.contract.functions.submitBatch(bridge.valset.args(), sigs, [6], [user], 1, 1_000)
        ),
    )
    outsider = Valset(keys=evm_keys(4, salt="outsider"), powers=[25] * 4)
    assert_reverts(
        "InvalidSignature(uint256)",
        lambda: bridge.submit_batch([5], [user], nonce=1, timeout=1_000, signers=[0, 1, 2], valset=outsider),
    )


def test_a_batch_for_another_bridge_id_reverts(bridge):
    other = deploy_bridge(Valset(keys=bridge.valset.keys, powers=bridge.valset.powers), chain_id="ake-other")
    user = bridge.users[0]
    sigs = bridge.valset.sign(other.batch_digest([5], [user], 1, 1_000), [0, 1, 2])
    assert_reverts(
        "InvalidSignature(uint256)",
        lambda: bridge.transact(bridge.contract.functions.submitBatch(bridge.valset.args(), sigs, [5], [user], 1, 1_000)),
    )


def test_a_valset_update_rotates_the_signers(bridge):
    new = Valset(keys=evm_keys(3, salt="next"), powers=[50, 30, 20], nonce=1)
    receipt = bridge.update_valset(new, signers=[0, 1, 2])
    (event,) = bridge.contract.events.ValsetUpdated().process_receipt(receipt)
    assert (event.args.valsetNonce, event.args.eventNonce) == (1, 1)
    assert bridge.contract.functions.stateValsetCheckpoint().call() == bridge.checkpoint(new)
    # the new set mints with 80% of its power; the old set can no longer
    user = bridge.users[0]
    bridge.submit_batch([9], [user], nonce=1, timeout=1_000, signers=[0, 1])
    assert bridge.balance(user) == 9


def test_a_valset_update_signed_by_the_wrong_set_or_skipping_a_nonce_reverts(bridge):
    impostor = Valset(keys=evm_keys(4, salt="impostor"), powers=[25] * 4, nonce=1)
    assert_reverts("InvalidSignature(uint256)", lambda: bridge.update_valset(impostor, [0, 1, 2, 3], signing_set=impostor))
    skipping = Valset(keys=evm_keys(4, salt="next"), powers=[25] * 4, nonce=2)
    assert_reverts("ValsetNonceNotNext(uint256,uint256)", lambda: bridge.update_valset(skipping, [0, 1, 2, 3]))
    assert bridge.contract.functions.stateValsetNonce().call() == 0


def test_a_valset_listing_a_key_twice_is_malformed(bridge):
    key = bridge.valset.keys[0]
    doubled = Valset(keys=[key, key], powers=[50, 50], nonce=1)
    assert_reverts("MalformedValset()", lambda: bridge.update_valset(doubled, [0, 1, 2]))


def test_send_to_ake_burns_and_numbers_events_without_gaps(bridge):
    alice = bridge.users[0]
    bridge.submit_batch([1_000], [alice], nonce=1, timeout=1_000, signers=[0, 1, 2])  # event nonce 1
    first = bridge.transact(bridge.contract.functions.sendToAke(400, "ake1recipient"), sender=alice)
    second = bridge.transact(bridge.contract.functions.sendToAke(100, "ake1other"), sender=alice)
    events = [bridge.contract.events.SendToAke().process_receipt(r)[0].args for r in (first, second)]
    assert [(e.amount, e.akeRecipient, e.eventNonce) for e in events] == [(400, "ake1recipient", 2), (100, "ake1other", 3)]
    assert bridge.balance(alice) == 500
    assert bridge.contract.functions.totalSupply().call() == 500
    assert bridge.contract.functions.stateLastEventNonce().call() == 3


def test_send_to_ake_beyond_the_balance_or_of_nothing_reverts(bridge):
    alice = bridge.users[0]
    assert_reverts("ERC20InsufficientBalance(address,uint256,uint256)", lambda: bridge.transact(bridge.contract.functions.sendToAke(1, "ake1x"), sender=alice))
    assert_reverts("ZeroAmount()", lambda: bridge.transact(bridge.contract.functions.sendToAke(0, "ake1x"), sender=alice))


def test_signatures_recover_and_malleable_ones_are_refused():
    key = evm_keys(1)[0]
    digest = keccak(b"batch")
    signature = sign_digest(key, digest)
    assert recover_signer(digest, signature) == evm_address(key)
    assert EvmSignature.from_bytes(signature.to_bytes()) == signature
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    flipped = EvmSignature(v=55 - signature.v, r=signature.r, s=n - signature.s)
    with pytest.raises(EvmSignatureError):
        recover_signer(digest, flipped)
    with pytest.raises(EvmSignatureError):
        EvmSignature.from_bytes(b"\x00" * 64)


def test_normalised_powers_never_exceed_the_scale():
    powers = normalise_powers([3, 3, 3])
    assert sum(powers) <= 2**32 and len(set(powers)) == 1
    with pytest.raises(ValueError):
        normalise_powers([0, 0])


def test_the_committed_artifact_is_what_the_pinned_compiler_makes():
    if shutil.which("node") is None or not (CONTRACTS / "node_modules" / "solc").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("node and the npm packages of akechain/bridge/contracts are needed: make contracts-tools")
        pytest.skip("node or npm packages missing: run make contracts-tools (CI runs this)")
    result = subprocess.run(["node", "compile.js", "--check"], cwd=CONTRACTS, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

