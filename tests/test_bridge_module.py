"""The bridge module on a 4-validator chain: EVM keys registered with proof, AKE locked and queued,
batches and valsets made in end block and signed by orchestrators, EVM events executed once with
> 2/3 of the power, bad signatures and missed signing windows punished; bad input is a typed error
that changes nothing; genesis export re-imports to the same hash."""
from __future__ import annotations

from dataclasses import replace

import pytest

from akechain.chain.modules.bank.keeper import InsufficientFundsError
from akechain.chain.modules.bridge.errors import (
    AlreadyConfirmedError,
    ClaimNonceError,
    EvidenceOfExistingItemError,
    EvmKeyAlreadyRegisteredError,
    EvmKeyInUseError,
    InvalidEvmSignatureError,
    NotAValidatorError,
    NotTransferOwnerError,
    QueueFullError,
    TransferNotQueuedError,
    UnknownSigningRequestError,
)
from akechain.chain.modules.bridge.evm import sign_digest, valset_checkpoint
from akechain.chain.modules.bridge.msgs import (
    MsgBatchExecutedClaim,
    MsgCancelSendToEvm,
    MsgConfirmBatch,
    MsgConfirmValset,
    MsgDepositClaim,
    MsgSendToEvm,
    MsgValsetSignatureEvidence,
    MsgValsetUpdatedClaim,
)
from akechain.chain.modules.bridge.records import BRIDGE_ACCOUNT
from akechain.chain.crypto import format_address
from akechain.chain.modules.staking.msgs import MsgDelegate
from akechain.testing import SimChain
from bridge_chain_support import (
    BRIDGE_PARAMS,
    BRIDGE_ID,
    EVM_ADDRESSES,
    EVM_KEYS,
    USER,
    VALIDATORS,
    make_bridge_chain,
    make_registered_driver,
    register_msg,
    sign_batch,
    sign_valset,
)
from staking_support import ADDRESSES, FEE, GENESIS_AMOUNT, Driver

DEST = b"\x42" * 20


def q(d: Driver, name: str, *args):
    return d.chain.query("bridge", name, *args)


def balance(d: Driver, i_or_address) -> int:
    address = ADDRESSES[i_or_address] if isinstance(i_or_address, int) else i_or_address
    return d.chain.query("bank", "balance", address)


def refused(d: Driver, i: int, msg, error: type) -> None:
    """`msg` fails with `error` and emits nothing (the app reverts a failing message's writes)."""
    result = d.run(i, msg)
    assert result.tx_results[0].code == error.code, result.tx_results[0].log
    assert [kind for kind, _ in result.tx_results[0].events] == ["tx"]


@pytest.fixture
def d() -> Driver:
    return make_registered_driver()


def test_registration_makes_the_first_valset_of_every_validator_in_address_order(d: Driver) -> None:
    valset = q(d, "latest_valset")
    assert valset.nonce == 0
    assert [m.evm_address for m in valset.members] == sorted(EVM_ADDRESSES[:VALIDATORS])
    assert sum(m.power for m in valset.members) <= 2**32
    d.chain.check_invariants()


def test_a_registration_needs_a_validator_one_key_each_and_a_signature_by_that_key() -> None:
    d = Driver(make_bridge_chain())
    refused(d, USER, register_msg(USER), NotAValidatorError)
    wrong = register_msg(0)
    refused(d, 1, wrong, InvalidEvmSignatureError)  # signed over validator 0's address, sent by 1
    assert d.run(0, register_msg(0)).tx_results[0].code == 0
    refused(d, 0, register_msg(0, EVM_KEYS[5]), EvmKeyAlreadyRegisteredError)
    refused(d, 1, register_msg(1, EVM_KEYS[0]), EvmKeyInUseError)  # validator 0's key, properly signed for 1
    assert q(d, "latest_valset") is None, "one validator of four holds no more than 2/3"


def send_and_batch(d: Driver, amounts: list[int]) -> None:
    for amount in amounts:
        d.tx(USER, MsgSendToEvm(DEST, amount))
    d.block()


def test_send_locks_and_batches_fifo_and_cancel_works_only_while_queued() -> None:
    d = make_registered_driver(replace(BRIDGE_PARAMS, max_pending_batches=1))
    before = balance(d, USER)
    send_and_batch(d, [10, 20, 30, 40])
    assert balance(d, USER) == before - 100 - 4 * FEE
    assert balance(d, BRIDGE_ACCOUNT) == 100
    batch = q(d, "batch", 1)
    assert [t.amount for t in batch.transfers] == [10, 20, 30]  # max_batch_size 3, oldest first
    queued = [v for v in q(d, "transfers") if v.status == "queued"]
    assert [v.transfer.amount for v in queued] == [40]
    refused(d, USER, MsgCancelSendToEvm(batch.transfers[0].id), TransferNotQueuedError)
    refused(d, 0, MsgCancelSendToEvm(queued[0].transfer.id), NotTransferOwnerError)
    held = balance(d, USER)
    assert d.run(USER, MsgCancelSendToEvm(queued[0].transfer.id)).tx_results[0].code == 0
    assert balance(d, BRIDGE_ACCOUNT) == 60 and balance(d, USER) == held + 40 - FEE
    d.chain.check_invariants()


def test_bad_sends_are_refused(d: Driver) -> None:
    refused(d, USER, MsgSendToEvm(DEST, GENESIS_AMOUNT * 2), InsufficientFundsError)


def test_queue_is_bounded() -> None:
    d = make_registered_driver(replace(BRIDGE_PARAMS, max_queued_transfers=2, max_pending_batches=1, max_batch_size=1))
    for _ in range(2):
        d.tx(USER, MsgSendToEvm(DEST, 1))
    d.block()  # one batched, one queued
    d.tx(USER, MsgSendToEvm(DEST, 1))
    d.block()  # queue full again (pending batch blocks the next)
    refused(d, USER, MsgSendToEvm(DEST, 1), QueueFullError)


def confirm_batch(d: Driver, nonce: int, signers) -> None:
    batch = q(d, "batch", nonce)
    for i in signers:
        d.tx(i, MsgConfirmBatch(nonce, sign_batch(i, batch)))
    d.block()


def claim(d: Driver, signers, make) -> None:
    for i in signers:
        d.tx(i, make(q(d, "last_event_nonce", ADDRESSES[i]) + 1))
    d.block()


def test_signatures_are_stored_and_a_batch_executes_once_with_more_than_two_thirds(d: Driver) -> None:
    send_and_batch(d, [100, 200])
    refused(d, 0, MsgConfirmBatch(1, sign_batch(1, q(d, "batch", 1))), InvalidEvmSignatureError)
    refused(d, 0, MsgConfirmBatch(9, sign_batch(0, q(d, "batch", 1))), UnknownSigningRequestError)
    confirm_batch(d, 1, [0, 1])
    assert [v.status for v in q(d, "transfers")] == ["batched", "batched"]
    confirm_batch(d, 1, [2])
    assert q(d, "batch_signatures", 1).signed_power_bps > 6_667
    assert [v.status for v in q(d, "transfers")] == ["signed", "signed"]
    refused(d, 2, MsgConfirmBatch(1, sign_batch(2, q(d, "batch", 1))), AlreadyConfirmedError)
    claim(d, [0, 1], lambda n: MsgBatchExecutedClaim(n, 7, 1))
    assert q(d, "state").evm_supply == 0, "2 of 4 is not > 2/3"
    claim(d, [2], lambda n: MsgBatchExecutedClaim(n, 7, 1))
    assert q(d, "state").evm_supply == 300 and q(d, "state").last_observed_event_nonce == 1
    assert [v.status for v in q(d, "transfers")] == ["minted", "minted"]
    assert q(d, "attestations") == [], "executed attestations are pruned"
    refused(d, 0, MsgBatchExecutedClaim(1, 7, 1), ClaimNonceError)  # a repeat
    d.chain.check_invariants()
    # a deposit back: > 2/3 unlock it exactly once to the recipient
    user = format_address(ADDRESSES[USER])
    before = balance(d, USER)
    claim(d, [0, 1, 2, 3], lambda n: MsgDepositClaim(n, 9, DEST, user, 120))
    assert balance(d, USER) == before + 120
    assert q(d, "state").evm_supply == 180
    refused(d, 0, MsgDepositClaim(2, 9, DEST, user, 120), ClaimNonceError)  # repeated
    refused(d, 0, MsgDepositClaim(4, 9, DEST, user, 120), ClaimNonceError)  # skipped
    d.chain.check_invariants()


def test_conflicting_claims_execute_neither_until_one_holds_more_than_two_thirds(d: Driver) -> None:
    send_and_batch(d, [500])
    confirm_batch(d, 1, [0, 1, 2])
    claim(d, [0, 1, 2, 3], lambda n: MsgBatchExecutedClaim(n, 7, 1))
    user = format_address(ADDRESSES[USER])
    before = balance(d, USER)
    claim(d, [0, 1], lambda n: MsgDepositClaim(n, 9, DEST, user, 100))
    claim(d, [2, 3], lambda n: MsgDepositClaim(n, 9, DEST, user, 400))
    assert balance(d, USER) == before and len(q(d, "attestations")) == 2
    assert q(d, "state").last_observed_event_nonce == 1


def test_a_delegation_that_shifts_power_makes_a_new_valset_signed_by_old_and_new_members(d: Driver) -> None:
    d.run(USER, MsgDelegate(ADDRESSES[0], 20_000))
    d.block()
    d.block()
    valset = q(d, "latest_valset")
    assert valset.nonce == 1
    request = q(d, "signing_request", 0, 1)
    assert set(request.signers) == set(ADDRESSES[:VALIDATORS])
    for i in range(VALIDATORS):
        d.tx(i, MsgConfirmValset(1, sign_valset(i, valset)))
    d.block()
    claim(d, [0, 1, 2], lambda n: MsgValsetUpdatedClaim(n, 3, 1))
    assert q(d, "state").last_observed_valset_nonce == 1
    assert [v.nonce for v in q(d, "valsets")] == [1], "older valsets are pruned"


def test_signing_something_the_chain_never_made_is_slashed_once(d: Driver) -> None:
    fake = valset_checkpoint(BRIDGE_ID, 77, [b"\x01" * 20], [1])
    evidence = MsgValsetSignatureEvidence(77, (b"\x01" * 20,), (1,), sign_digest(EVM_KEYS[1], fake).to_bytes())
    tokens = d.chain.query("staking", "validator", ADDRESSES[1]).validator.tokens
    assert d.run(USER, evidence).tx_results[0].code == 0
    validator = d.chain.query("staking", "validator", ADDRESSES[1]).validator
    assert validator.jailed and validator.tokens == tokens - tokens * 500 // 10_000
    assert d.run(USER, evidence).tx_results[0].code != 0
    valset = q(d, "valset", 0)
    honest = MsgValsetSignatureEvidence(0, tuple(m.evm_address for m in valset.members), tuple(m.power for m in valset.members),
                                        sign_valset(2, valset))
    refused(d, USER, honest, EvidenceOfExistingItemError)


def test_a_validator_that_misses_a_signing_window_is_slashed_and_jailed(d: Driver) -> None:
    valset = q(d, "latest_valset")
    for i in range(3):
        d.tx(i, MsgConfirmValset(0, sign_valset(i, valset)))
    d.block()
    for _ in range(6):
        d.block()
    jailed = [d.chain.query("staking", "validator", ADDRESSES[i]).validator.jailed for i in range(VALIDATORS)]
    assert jailed == [False, False, False, True]
    assert q(d, "signing_request", 0, 0) is None


def test_a_window_most_of_the_set_missed_is_an_outage_and_punishes_no_one(d: Driver) -> None:
    valset = q(d, "latest_valset")
    d.tx(0, MsgConfirmValset(0, sign_valset(0, valset)))
    for _ in range(7):
        d.block()
    assert not any(d.chain.query("staking", "validator", a).validator.jailed for a in ADDRESSES[:VALIDATORS])
    assert q(d, "signing_request", 0, 0) is None


def test_claims_only_from_the_active_set(d: Driver) -> None:
    refused(d, USER, MsgBatchExecutedClaim(1, 1, 1), NotAValidatorError)


def test_export_reimports_to_the_same_hash(d: Driver) -> None:
    send_and_batch(d, [100, 200, 300, 400])
    confirm_batch(d, 1, [0, 1])
    claim(d, [0], lambda n: MsgBatchExecutedClaim(n, 7, 1))
    exported = d.chain.export_genesis()
    assert exported["bridge"]["state"]
    again = SimChain(exported, d.chain.chain_id)
    assert again.app_hashes[0] == d.chain.app_hashes[d.chain.height]
