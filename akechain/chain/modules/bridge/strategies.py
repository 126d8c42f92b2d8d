"""Hypothesis strategies for the bridge's messages (gathered by `akechain.testing`): registrations,
transfers and cancels, signatures and claims by validators, evidence of bad signatures; and what
the bridge must refuse (non-validators, skipped nonces, unknown ids, signatures by unknown keys,
sends beyond the balance). A simulated validator's EVM key is derived from its operator address."""
from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.bridge.evm import (
    batch_digest,
    compute_bridge_id,
    evm_address,
    registration_digest,
    sign_digest,
    valset_checkpoint,
)
from akechain.chain.modules.bridge.msgs import (
    MsgBatchExecutedClaim,
    MsgBatchSignatureEvidence,
    MsgCancelSendToEvm,
    MsgConfirmBatch,
    MsgConfirmValset,
    MsgDepositClaim,
    MsgRegisterEvmKey,
    MsgSendToEvm,
    MsgValsetSignatureEvidence,
    MsgValsetUpdatedClaim,
)
from akechain.chain.modules.bridge.records import BATCH, VALSET
from akechain.chain.strategies import st_among, st_build

evm_destinations = st.binary(min_size=20, max_size=20).filter(any)
UNKNOWN_ID = 2**40


def get_sim_evm_key(operator: bytes) -> bytes:
    return hashlib.sha256(b"sim-evm:" + operator).digest()


def get_validators(ctx: StrategyContext) -> set[bytes]:
    return {view.validator.operator for view in ctx.query("staking", "validators")}


def get_sim_signers(ctx: StrategyContext) -> list[bytes]:
    """Operators among the accounts whose registered EVM key is the simulation's key for them."""
    return [a for a in ctx.accounts if ctx.query("bridge", "evm_key", a) == evm_address(get_sim_evm_key(a))]


def valid_register(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    bridge_id = compute_bridge_id(ctx.chain_id)
    validators = get_validators(ctx)
    free = [a for a in ctx.accounts if a in validators and ctx.query("bridge", "evm_key", a) is None]

    def build(operator: bytes) -> Draft:
        key = get_sim_evm_key(operator)
        signature = sign_digest(key, registration_digest(bridge_id, operator)).to_bytes()
        return Draft(operator, MsgRegisterEvmKey(evm_address(key), signature))

    return st_among(free).map(build)


def invalid_register(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """By a non-validator, or a second time; the signature is over nothing in particular."""
    validators = get_validators(ctx)
    refused = [a for a in ctx.accounts if a not in validators or ctx.query("bridge", "evm_key", a) is not None]
    key = get_sim_evm_key(b"stranger")
    signature = sign_digest(key, bytes(32)).to_bytes()
    return st_among(refused).map(lambda a: Draft(a, MsgRegisterEvmKey(evm_address(key), signature)))


def valid_send(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    funded = [(a, b) for a in ctx.accounts if (b := ctx.query("bank", "balance", a)) > 100]
    return st_build(lambda ab, to, share: Draft(ab[0], MsgSendToEvm(to, max(1, ab[1] * share // 1000))),
                    st_among(funded), evm_destinations, st.integers(1, 50))


def invalid_send(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda a, to: Draft(a, MsgSendToEvm(to, ctx.query("bank", "balance", a) + 1)),
                    st_among(list(ctx.accounts)), evm_destinations)


def valid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    mine = [v.transfer for v in ctx.query("bridge", "transfers") if v.status == "queued" and v.transfer.sender in ctx.accounts]
    return st_among(mine).map(lambda t: Draft(t.sender, MsgCancelSendToEvm(t.id)))


def invalid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(list(ctx.accounts)).map(lambda a: Draft(a, MsgCancelSendToEvm(UNKNOWN_ID)))


def get_unsigned_requests(ctx: StrategyContext, kind: int) -> list[tuple[bytes, int, bytes]]:
    """(operator, nonce, digest) of open signing requests a simulated signer has not signed yet."""
    signers = get_sim_signers(ctx)
    items = ctx.query("bridge", "valsets" if kind == VALSET else "batches")
    found = []
    for item in items:
        request = ctx.query("bridge", "signing_request", kind, item.nonce)
        if request is None:
            continue
        signed = {s.operator for s in ctx.query("bridge", "valset_signatures" if kind == VALSET else "batch_signatures", item.nonce).signatures}
        found.extend((op, item.nonce, request.digest) for op in signers if op in request.signers and op not in signed)
    return found


def make_confirm_strategies(kind: int, make) -> MsgStrategies:
    def valid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
        return st_among(get_unsigned_requests(ctx, kind)).map(
            lambda r: Draft(r[0], make(r[1], sign_digest(get_sim_evm_key(r[0]), r[2]).to_bytes())))

    def invalid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
        signature = sign_digest(get_sim_evm_key(b"stranger"), bytes(32)).to_bytes()
        return st_among(list(ctx.accounts)).map(lambda a: Draft(a, make(UNKNOWN_ID, signature)))

    return MsgStrategies(valid, invalid)


def get_claimants(ctx: StrategyContext) -> tuple[list[tuple[bytes, int]], list[tuple[bytes, int]]]:
    """((active validator among the accounts, its next event nonce), (any account, a nonce it may
    not claim: one skipped, or any nonce from outside the active set))."""
    active = {view.validator.operator for view in ctx.query("staking", "validators") if view.power > 0}
    nexts = {a: ctx.query("bridge", "last_event_nonce", a) + 1 for a in ctx.accounts}
    return ([(a, nexts[a]) for a in ctx.accounts if a in active],
            [(a, nexts[a] + 1 if a in active else nexts[a]) for a in ctx.accounts])


def make_claim_strategies(build) -> MsgStrategies:
    """`build(nonce, detail)` the claim; valid ones carry the claimant's next nonce."""
    details = st.integers(1, 3)  # few distinct claims, so validators often agree (and sometimes conflict)

    def valid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
        return st_build(lambda c, d: Draft(c[0], build(c[1], d)), st_among(get_claimants(ctx)[0]), details)

    def invalid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
        return st_build(lambda c, d: Draft(c[0], build(c[1], d)), st_among(get_claimants(ctx)[1]), details)

    return MsgStrategies(valid, invalid)


def valid_valset_evidence(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    bridge_id = compute_bridge_id(ctx.chain_id)
    signers = get_sim_signers(ctx)

    def build(operator: bytes, nonce: int, member: bytes) -> Draft:
        digest = valset_checkpoint(bridge_id, nonce, [member], [1])
        signature = sign_digest(get_sim_evm_key(operator), digest).to_bytes()
        return Draft(operator, MsgValsetSignatureEvidence(nonce, (member,), (1,), signature))

    return st_build(build, st_among(signers), st.integers(10**9, 2**62), evm_destinations)


def invalid_valset_evidence(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    signature = sign_digest(get_sim_evm_key(b"stranger"), bytes(32)).to_bytes()
    return st_among(list(ctx.accounts)).map(lambda a: Draft(a, MsgValsetSignatureEvidence(7, (), (), signature)))


def valid_batch_evidence(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    bridge_id = compute_bridge_id(ctx.chain_id)
    signers = get_sim_signers(ctx)

    def build(operator: bytes, nonce: int, to: bytes) -> Draft:
        signature = sign_digest(get_sim_evm_key(operator), batch_digest(bridge_id, [5], [to], nonce, 1)).to_bytes()
        return Draft(operator, MsgBatchSignatureEvidence((5,), (to,), nonce, 1, signature))

    return st_build(build, st_among(signers), st.integers(10**9, 2**62), evm_destinations)


def invalid_batch_evidence(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    signature = sign_digest(get_sim_evm_key(b"stranger"), bytes(32)).to_bytes()
    return st_among(list(ctx.accounts)).map(lambda a: Draft(a, MsgBatchSignatureEvidence((), (), 7, 1, signature)))


STRATEGIES = {
    MsgRegisterEvmKey: MsgStrategies(valid_register, invalid_register),
    MsgSendToEvm: MsgStrategies(valid_send, invalid_send),
    MsgCancelSendToEvm: MsgStrategies(valid_cancel, invalid_cancel),
    MsgConfirmValset: make_confirm_strategies(VALSET, MsgConfirmValset),
    MsgConfirmBatch: make_confirm_strategies(BATCH, MsgConfirmBatch),
    MsgDepositClaim: make_claim_strategies(lambda n, d: MsgDepositClaim(n, d, bytes([d]) * 20, "", d * 10)),
    MsgBatchExecutedClaim: make_claim_strategies(lambda n, d: MsgBatchExecutedClaim(n, d, d)),
    MsgValsetUpdatedClaim: make_claim_strategies(lambda n, d: MsgValsetUpdatedClaim(n, d, d)),
    MsgValsetSignatureEvidence: MsgStrategies(valid_valset_evidence, invalid_valset_evidence),
    MsgBatchSignatureEvidence: MsgStrategies(valid_batch_evidence, invalid_batch_evidence),
}
