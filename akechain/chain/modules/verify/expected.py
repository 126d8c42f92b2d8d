"""What verify needs from the module that owns leases (the market), as the Cosmos SDK's
`expected_keepers`: verify never imports the market; the market hands it an implementation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from akechain.chain.store import BlockContext, Event, StoreView


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """The parts of a lease a challenge is judged on."""

    lease_id: int
    provider: bytes
    consumer: bytes
    redundant: bool  # judged by its replicas' majority instead of challenges
    submitted: bool  # its receipt is in and it awaits settlement
    settle_height: int  # end of its challenge window
    challenge_id: int  # 0: not challenged
    output_hash: bytes  # the receipt's (empty before one)


@dataclass(frozen=True, slots=True)
class ChallengeParams:
    verifiers: tuple[bytes, ...]  # sorted
    bond: int  # uake a challenger posts
    window_blocks: int  # blocks the referee has for a verdict


class LeaseKeeper(Protocol):
    def get_lease_terms(self, store: StoreView, lease_id: int) -> LeaseTerms:
        """Raises the owner's not-found error for an unknown lease."""
        ...

    def get_challenge_params(self, store: StoreView) -> ChallengeParams: ...

    def peek_challenge_id(self, store: StoreView) -> int:
        """The id the next challenge will get."""
        ...

    def attach_challenge(self, store: StoreView, lease_id: int, challenge_id: int, end_height: int) -> None:
        """Consume the id, mark the lease challenged and call back at `end_height` (`resolve_challenge`)."""
        ...

    def detach_challenge(self, store: StoreView, challenge_id: int, end_height: int) -> None:
        """Cancel the call back of a challenge judged before its end."""
        ...

    def settle_verified(self, store: StoreView, ctx: BlockContext, lease_id: int) -> list[Event]: ...

    def settle_unverified(self, store: StoreView, ctx: BlockContext, lease_id: int) -> list[Event]: ...

    def slash_provider(self, store: StoreView, ctx: BlockContext, lease_id: int, challenger: bytes) -> list[Event]: ...
