"""Read-only queries of challenges, for RPC, CLI and verifier agents."""
from __future__ import annotations

from akechain.chain.modules.verify.keeper import CHALLENGE_PREFIX, Challenge, get_challenge_key
from akechain.chain.store import StoreView, take


def query_challenge(store: StoreView, challenge_id: int) -> Challenge | None:
    return store.get(get_challenge_key(challenge_id), Challenge)


def query_challenges(store: StoreView, after: int | None = None, limit: int | None = None) -> list[Challenge]:
    """Challenges in id order, those with an id above `after`, at most `limit`."""
    start = None if after is None else get_challenge_key(after + 1)
    return take((challenge for _, challenge in store.iterate(CHALLENGE_PREFIX, Challenge, start)), limit)
