"""The market's side of verify's `expected.LeaseKeeper`: what a challenge may know and do about a
lease, so verify never touches the market's records."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.market import keeper as k
from akechain.chain.modules.market.params import get_params
from akechain.chain.modules.market.records import Q_CHALLENGE_END, SEQUENCES_KEY, SUBMITTED
from akechain.chain.modules.verify.expected import ChallengeParams, LeaseTerms
from akechain.chain.store import BlockContext, Event, StoreView


class MarketLeases:
    def get_lease_terms(self, store: StoreView, lease_id: int) -> LeaseTerms:
        lease = k.get_lease(store, lease_id)
        job = k.get_job(store, lease.job_id)
        return LeaseTerms(
            lease_id=lease.id, provider=lease.provider, consumer=job.consumer, redundant=k.is_redundant(job),
            submitted=lease.status == SUBMITTED, settle_height=lease.settle_height, challenge_id=lease.challenge_id,
            output_hash=b"" if lease.receipt is None else lease.receipt.output_hash,
        )

    def get_challenge_params(self, store: StoreView) -> ChallengeParams:
        params = get_params(store)
        return ChallengeParams(params.verifiers, params.challenge_bond, params.challenge_window_blocks)

    def peek_challenge_id(self, store: StoreView) -> int:
        return k.get_sequences(store).next_challenge

    def attach_challenge(self, store: StoreView, lease_id: int, challenge_id: int, end_height: int) -> None:
        sequences = k.get_sequences(store)
        store.set(SEQUENCES_KEY, replace(sequences, next_challenge=challenge_id + 1))
        k.schedule(store, end_height, Q_CHALLENGE_END, challenge_id)
        k.set_lease(store, replace(k.get_lease(store, lease_id), challenge_id=challenge_id))

    def detach_challenge(self, store: StoreView, challenge_id: int, end_height: int) -> None:
        k.unschedule(store, end_height, Q_CHALLENGE_END, challenge_id)

    def settle_verified(self, store: StoreView, ctx: BlockContext, lease_id: int) -> list[Event]:
        return k.settle_lease(store, ctx, get_params(store), replace(k.get_lease(store, lease_id), verified=True))

    def settle_unverified(self, store: StoreView, ctx: BlockContext, lease_id: int) -> list[Event]:
        return k.settle_lease(store, ctx, get_params(store), replace(k.get_lease(store, lease_id), spot_checked=False))

    def slash_provider(self, store: StoreView, ctx: BlockContext, lease_id: int, challenger: bytes) -> list[Event]:
        lease = k.get_lease(store, lease_id)
        return k.slash(store, ctx, get_params(store), lease, k.get_job(store, lease.job_id), "slashed", challenger)


LEASES = MarketLeases()
