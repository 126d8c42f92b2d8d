"""The bridge's laws, as far as chain state can check them: the bridge account holds exactly what is
queued, what is batched and not yet executed, and the ERC-20 supply the executed events tell of
(locked = minted on the EVM side + in flight); the queue counter counts the queue; nonces only
grow past what is stored."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.bridge.keeper import get_state
from akechain.chain.modules.bridge.records import (
    ATTESTATION_PREFIX,
    BATCH_PREFIX,
    BRIDGE_ACCOUNT,
    TRANSFER_PREFIX,
    VALSET_PREFIX,
    Attestation,
    Batch,
    OutgoingTransfer,
    Valset,
)
from akechain.chain.store import StoreView


def check_locked(store: StoreView) -> None:
    state = get_state(store)
    queued = [t.amount for _, t in store.iterate(TRANSFER_PREFIX, OutgoingTransfer)]
    in_batches = sum(b.total for _, b in store.iterate(BATCH_PREFIX, Batch) if not b.executed)
    locked = get_balance(store, BRIDGE_ACCOUNT)
    if locked != sum(queued) + in_batches + state.evm_supply:
        raise InvariantBrokenError(f"bridge account holds {locked} uake, but {sum(queued)} are queued, {in_batches} "
                                   f"batched and {state.evm_supply} minted on the EVM side")
    if len(queued) != state.queued_count:
        raise InvariantBrokenError(f"{len(queued)} transfers queued, the counter says {state.queued_count}")


def check_nonces(store: StoreView) -> None:
    state = get_state(store)
    for _, transfer in store.iterate(TRANSFER_PREFIX, OutgoingTransfer):
        if transfer.id >= state.next_transfer_id:
            raise InvariantBrokenError(f"transfer {transfer.id} is not below the next id {state.next_transfer_id}")
    for _, batch in store.iterate(BATCH_PREFIX, Batch):
        if batch.nonce > state.last_batch_nonce:
            raise InvariantBrokenError(f"batch {batch.nonce} is past the last batch nonce {state.last_batch_nonce}")
    for _, valset in store.iterate(VALSET_PREFIX, Valset):
        if valset.nonce >= state.valset_count:
            raise InvariantBrokenError(f"valset {valset.nonce} is past the {state.valset_count} made")
    for key, _ in store.iterate(ATTESTATION_PREFIX, Attestation):
        if int.from_bytes(key[1:9], "big") <= state.last_observed_event_nonce:
            raise InvariantBrokenError(f"an attestation for executed event {int.from_bytes(key[1:9], 'big')} remains")


INVARIANTS = {
    "locked": check_locked,
    "nonces": check_nonces,
}
