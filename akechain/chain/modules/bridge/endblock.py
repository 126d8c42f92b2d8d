"""End block: execute attested EVM events in event-nonce order, void timed-out batches, punish the
signers a closed signing window still misses, then make the next valset and batch.

Every step is bounded: attestations by `max_claims_ahead`, batches by `max_pending_batches` (plus
the few executed ones kept for queries), valsets by `max_pending_valsets`, signing requests by what
one block made (a valset and a batch) times the window.
"""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import AddressError, format_address, parse_address
from akechain.chain.modules.bank.keeper import TREASURY, process_transfer
from akechain.chain.modules.bridge import keeper as k
from akechain.chain.modules.bridge.evm import (
    POWER_SCALE,
    batch_digest,
    compute_bridge_id,
    normalise_powers,
    valset_checkpoint,
)
from akechain.chain.modules.bridge.msgs import Claim, MsgBatchExecutedClaim, MsgDepositClaim
from akechain.chain.modules.bridge.params import BPS, Params, get_params
from akechain.chain.modules.bridge.records import (
    BATCH,
    BATCH_PREFIX,
    BRIDGE_ACCOUNT,
    KIND_NAMES,
    SIGNING_DUE_PREFIX,
    TRANSFER_PREFIX,
    VALSET,
    VALSET_PREFIX,
    Attestation,
    Batch,
    Marker,
    OutgoingTransfer,
    SigningRequest,
    Valset,
    ValsetMember,
    get_attestation_prefix,
    get_signing_due_key,
    get_signing_key,
    get_transfer_key,
    u64,
)
from akechain.chain.modules.gov.guardian import is_paused
from akechain.chain.modules.gov.records import PAUSE_BRIDGE
from akechain.chain.modules.staking.keeper import get_validator
from akechain.chain.store import BlockContext, Event, StoreView, make_event

KEPT_EXECUTED_BATCHES = 16  # executed batches kept so queries can tell a transfer was minted


def process_end_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    params = get_params(store)
    bridge_id = compute_bridge_id(ctx.chain_id)
    # While the guardian pauses the bridge nothing moves in or out: observed claims wait (attested, in
    # nonce order, so none is lost) and no batch is made; timeouts, signing and valset updates go on,
    # so the EVM contract's validator set stays current for the restart.
    paused = is_paused(store, PAUSE_BRIDGE)
    events = [] if paused else process_attestations(store, ctx)
    events += process_batch_timeouts(store)
    events += process_signing_due(store, ctx, params)
    events += process_valset_creation(store, ctx, params, bridge_id)
    if not paused:
        events += process_batch_creation(store, ctx, params, bridge_id)
    return events


# -- attested events --------------------------------------------------------------------------


def get_observed_claim(store: StoreView, event_nonce: int, powers: dict[bytes, int]) -> Claim | None:
    """The claim > 2/3 of the active power attested for `event_nonce`, if any (at most one can be)."""
    total = sum(powers.values())
    for _, attestation in store.iterate(get_attestation_prefix(event_nonce), Attestation):
        if k.has_supermajority(sum(powers.get(voter, 0) for voter in attestation.voters), total):
            return attestation.claim  # type: ignore[return-value]
    return None


def process_attestations(store: StoreView, ctx: BlockContext) -> list[Event]:
    powers = k.get_active_powers(store)
    events: list[Event] = []
    while True:
        state = k.get_state(store)
        nonce = state.last_observed_event_nonce + 1
        claim = get_observed_claim(store, nonce, powers)
        if claim is None:
            return events
        prefix = get_attestation_prefix(nonce)
        for key, _ in list(store.iterate(prefix, Attestation)):  # the executed claim and any conflicting ones
            store.delete(key)
        k.set_state(store, replace(state, last_observed_event_nonce=nonce,
                                   last_observed_evm_height=max(state.last_observed_evm_height, claim.evm_height)))
        events.extend(execute_claim(store, ctx, claim))


def execute_claim(store: StoreView, ctx: BlockContext, claim: Claim) -> list[Event]:
    if isinstance(claim, MsgDepositClaim):
        return execute_deposit(store, ctx, claim)
    if isinstance(claim, MsgBatchExecutedClaim):
        return execute_batch_executed(store, claim.batch_nonce)
    return execute_valset_updated(store, claim.valset_nonce)


def execute_deposit(store: StoreView, ctx: BlockContext, claim: MsgDepositClaim) -> list[Event]:
    """Unlock what was burned on the EVM side; a recipient that is not an account pays the treasury."""
    state = k.get_state(store)
    if claim.amount > state.evm_supply:  # only > 2/3 of lying validators get here: refuse to unlock more than went out
        return [make_event("bridge_deposit_refused", event_nonce=claim.event_nonce, amount=claim.amount,
                           evm_supply=state.evm_supply)]
    try:
        recipient = parse_address(claim.ake_recipient)
    except AddressError:
        recipient = TREASURY
    if recipient in ctx.module_accounts:
        recipient = TREASURY
    if claim.amount:
        process_transfer(store, BRIDGE_ACCOUNT, recipient, claim.amount)
    k.set_state(store, replace(state, evm_supply=state.evm_supply - claim.amount))
    return [make_event("bridge_deposit", event_nonce=claim.event_nonce, recipient=format_address(recipient),
                       amount=claim.amount, evm_sender="0x" + claim.evm_sender.hex())]


def iterate_batches(store: StoreView) -> list[Batch]:
    return [batch for _, batch in store.iterate(BATCH_PREFIX, Batch)]


def cancel_batch(store: StoreView, batch: Batch) -> None:
    """Back to the queue: the contract will never take this batch (older nonce, or timed out)."""
    for transfer in batch.transfers:
        store.set(get_transfer_key(transfer.id), transfer)
    store.delete(BATCH_PREFIX + u64(batch.nonce))
    state = k.get_state(store)
    k.set_state(store, replace(state, queued_count=state.queued_count + len(batch.transfers)))


def execute_batch_executed(store: StoreView, batch_nonce: int) -> list[Event]:
    batch = k.get_batch(store, batch_nonce)
    if batch is None or batch.executed:
        return [make_event("bridge_unknown_batch", batch_nonce=batch_nonce)]
    store.set(BATCH_PREFIX + u64(batch_nonce), replace(batch, executed=True))
    state = k.get_state(store)
    k.set_state(store, replace(state, evm_supply=state.evm_supply + batch.total,
                               last_observed_batch_nonce=max(state.last_observed_batch_nonce, batch_nonce)))
    events = [make_event("bridge_batch_executed", batch_nonce=batch_nonce, total=batch.total)]
    executed: list[Batch] = []
    for other in iterate_batches(store):
        if other.executed:
            executed.append(other)
        elif other.nonce < batch_nonce:
            cancel_batch(store, other)
            events.append(make_event("bridge_batch_cancelled", batch_nonce=other.nonce, reason="superseded"))
    for old in executed[:-KEPT_EXECUTED_BATCHES]:
        store.delete(BATCH_PREFIX + u64(old.nonce))
    return events


def execute_valset_updated(store: StoreView, valset_nonce: int) -> list[Event]:
    """The contract's set is now `valset_nonce`: older sets will never be needed again."""
    state = k.get_state(store)
    if valset_nonce <= state.last_observed_valset_nonce or valset_nonce >= state.valset_count:
        return [make_event("bridge_unknown_valset", valset_nonce=valset_nonce)]
    k.set_state(store, replace(state, last_observed_valset_nonce=valset_nonce))
    for key, valset in list(store.iterate(VALSET_PREFIX, Valset)):
        if valset.nonce >= valset_nonce:
            break
        store.delete(key)
    return [make_event("bridge_valset_updated", valset_nonce=valset_nonce)]


def process_batch_timeouts(store: StoreView) -> list[Event]:
    evm_height = k.get_state(store).last_observed_evm_height
    events = []
    for batch in iterate_batches(store):
        if not batch.executed and batch.timeout <= evm_height:
            cancel_batch(store, batch)
            events.append(make_event("bridge_batch_cancelled", batch_nonce=batch.nonce, reason="timeout"))
    return events


# -- signing windows --------------------------------------------------------------------------


def process_signing_due(store: StoreView, ctx: BlockContext, params: Params) -> list[Event]:
    """Close the signing windows that end here: each required signer that did not sign (and is not
    already jailed) is slashed and jailed, as for downtime; the request and its signatures go. When
    the signers together missed 2/3 of their power, the window was an outage (the EVM node, say),
    not a laggard's fault: no one is punished, as jailing the whole set would halt the chain."""
    events: list[Event] = []
    powers = k.get_active_powers(store)
    for key, _ in list(store.iterate(SIGNING_DUE_PREFIX, Marker)):
        if int.from_bytes(key[1:9], "big") > ctx.height:
            break
        kind, nonce = key[9], int.from_bytes(key[10:18], "big")
        request = k.get_signing_request(store, kind, nonce)
        signed = {operator for operator, _ in k.iterate_confirms(store, kind, nonce)}
        signers = () if request is None else request.signers
        signed_power = sum(powers.get(operator, 0) for operator in signers if operator in signed)
        if not k.has_supermajority(signed_power, sum(powers.get(operator, 0) for operator in signers)):
            signers = ()
        for operator in signers:
            validator = get_validator(store, operator)
            if operator in signed or validator is None or validator.jailed:
                continue
            burned = k.process_punishment(store, ctx, operator, params.slash_fraction_missing_signature)
            events.append(make_event("slash", validator=format_address(operator), reason="missing_bridge_signature",
                                     item=KIND_NAMES[kind], nonce=nonce, burned=burned))
        k.delete_confirms(store, kind, nonce)
        store.delete(get_signing_key(kind, nonce))
        store.delete(key)
    return events


def request_signatures(store: StoreView, ctx: BlockContext, params: Params, kind: int, nonce: int, digest: bytes,
                       signers: set[bytes]) -> None:
    k.remember_digest(store, digest)
    due = ctx.height + params.signed_window_blocks
    store.set(get_signing_key(kind, nonce), SigningRequest(digest, tuple(sorted(signers)), due))
    store.set(get_signing_due_key(due, kind, nonce), Marker())


# -- new valsets and batches ------------------------------------------------------------------


def compute_candidate_valset(store: StoreView) -> tuple[tuple[ValsetMember, ...], int, int]:
    """The active validators with an EVM key as a valset (ascending EVM address, normalised powers),
    their power and the whole active set's power."""
    powers = k.get_active_powers(store)
    registered = sorted((evm, power, operator) for operator, power in powers.items()
                        if (evm := k.get_evm_key(store, operator)) is not None)
    if not registered:
        return (), 0, sum(powers.values())
    normalised = normalise_powers([power for _, power, _ in registered])
    members = tuple(ValsetMember(evm, n, operator) for (evm, _, operator), n in zip(registered, normalised))
    return members, sum(power for _, power, _ in registered), sum(powers.values())


def is_valset_change(old: Valset, members: tuple[ValsetMember, ...], params: Params) -> bool:
    if [m.evm_address for m in old.members] != [m.evm_address for m in members]:
        return True
    moved = sum(abs(a.power - b.power) for a, b in zip(old.members, members))
    return moved * BPS > params.valset_change_bps * POWER_SCALE


def process_valset_creation(store: StoreView, ctx: BlockContext, params: Params, bridge_id: bytes) -> list[Event]:
    state = k.get_state(store)
    latest = k.get_latest_valset(store)
    members, registered, total = compute_candidate_valset(store)
    # Verify there is a set to make: the first must hold > 2/3 of the power, a later one must differ
    if not members or (latest is None and not k.has_supermajority(registered, total)):
        return []
    if latest is not None and (not is_valset_change(latest, members, params)
                               or latest.nonce - max(state.last_observed_valset_nonce, 0) >= params.max_pending_valsets):
        return []
    valset = Valset(state.valset_count, members, ctx.height)
    store.set(VALSET_PREFIX + u64(valset.nonce), valset)
    k.set_state(store, replace(state, valset_count=state.valset_count + 1))
    digest = valset_checkpoint(bridge_id, valset.nonce, [m.evm_address for m in members], [m.power for m in members])
    signers = {m.operator for m in members} | ({m.operator for m in latest.members} if latest else set())
    request_signatures(store, ctx, params, VALSET, valset.nonce, digest, signers)
    return [make_event("bridge_valset", valset_nonce=valset.nonce, members=len(members))]


def process_batch_creation(store: StoreView, ctx: BlockContext, params: Params, bridge_id: bytes) -> list[Event]:
    state = k.get_state(store)
    latest = k.get_latest_valset(store)
    if state.queued_count == 0 or latest is None:
        return []
    if sum(1 for batch in iterate_batches(store) if not batch.executed) >= params.max_pending_batches:
        return []
    queued = (transfer for _, transfer in store.iterate(TRANSFER_PREFIX, OutgoingTransfer))
    transfers = tuple(transfer for _, transfer in zip(range(params.max_batch_size), queued))  # oldest first
    for transfer in transfers:
        store.delete(get_transfer_key(transfer.id))
    batch = Batch(state.last_batch_nonce + 1, transfers, state.last_observed_evm_height + params.batch_timeout_evm_blocks,
                  ctx.height, False)
    store.set(BATCH_PREFIX + u64(batch.nonce), batch)
    k.set_state(store, replace(state, last_batch_nonce=batch.nonce, queued_count=state.queued_count - len(transfers)))
    digest = batch_digest(bridge_id, [t.amount for t in transfers], [t.destination for t in transfers], batch.nonce,
                          batch.timeout)
    request_signatures(store, ctx, params, BATCH, batch.nonce, digest, {m.operator for m in latest.members})
    return [make_event("bridge_batch", batch_nonce=batch.nonce, transfers=len(transfers), total=batch.total)]
