"""Challenges and bonds, and the pure verification maths (draws, majority). The market owns the
leases and the provider collateral that verdicts pay out of; verify reaches them only through
`expected.LeaseKeeper`.

Randomness is the block's `random_seed` (previous commit hash) hashed with a purpose tag and an id,
so each draw is independent of the others and of the order txs arrive in.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from akechain.chain.crypto import Address, module_account
from akechain.chain.modules.bank.keeper import process_transfer
from akechain.chain.modules.verify.errors import ChallengeNotFoundError
from akechain.chain.store import StoreView

CHALLENGE_PREFIX = b"\x51"
BOND_ACCOUNT = module_account("verify-bonds")
BPS = 10_000

OPEN, UPHELD, REJECTED, INCONCLUSIVE = 0, 1, 2, 3
CHALLENGE_STATES = ("open", "upheld", "rejected", "inconclusive")


@dataclass(frozen=True, slots=True)
class Challenge:
    id: int
    lease_id: int
    challenger: bytes
    bond: int  # uake held by the bond account while open
    claimed_hash: bytes
    referee: bytes  # the verifier whose re-execution decides
    opened_height: int
    end_height: int  # no verdict by then: inconclusive, bond returned
    status: int
    verdict_hash: bytes  # empty until judged


TABLES: dict[bytes, type] = {CHALLENGE_PREFIX: Challenge}  # record type per key prefix (genesis rows)


def get_challenge_key(challenge_id: int) -> bytes:
    return CHALLENGE_PREFIX + challenge_id.to_bytes(8, "big")


def get_challenge(store: StoreView, challenge_id: int) -> Challenge:
    challenge = store.get(get_challenge_key(challenge_id), Challenge)
    if challenge is None:
        raise ChallengeNotFoundError(f"challenge {challenge_id} does not exist")
    return challenge


def compute_draw(seed: bytes, purpose: bytes, item_id: int) -> int:
    """A uniform 256-bit integer from the block seed, a purpose tag and an id."""
    return int.from_bytes(hashlib.sha256(seed + purpose + item_id.to_bytes(8, "big")).digest(), "big")


def is_spot_checked(seed: bytes, lease_id: int, rate_bps: int) -> bool:
    return compute_draw(seed, b"spot-check", lease_id) % BPS < rate_bps


def pick_verifier(seed: bytes, purpose: bytes, item_id: int, candidates: list[bytes]) -> bytes:
    """One of `candidates` (sorted), uniformly by the seed; b"" if there is none."""
    if not candidates:
        return b""
    return candidates[compute_draw(seed, purpose, item_id) % len(candidates)]


def compute_majority(hashes: list[bytes], k: int) -> bytes | None:
    """The output at least `k` replicas agree on (k is a strict majority, so at most one), else None."""
    counts: dict[bytes, int] = {}
    for output in hashes:
        counts[output] = counts.get(output, 0) + 1
    winners = sorted(output for output, count in counts.items() if count >= k)
    return winners[0] if winners else None


def open_challenge(store: StoreView, challenge: Challenge) -> None:
    process_transfer(store, Address(challenge.challenger), BOND_ACCOUNT, challenge.bond)
    store.set(get_challenge_key(challenge.id), challenge)


def close_challenge(store: StoreView, challenge: Challenge, status: int, verdict_hash: bytes, bond_to: bytes) -> Challenge:
    """Record the verdict and hand the bond to `bond_to` (the challenger back, or the provider)."""
    if challenge.bond:
        process_transfer(store, BOND_ACCOUNT, Address(bond_to), challenge.bond)
    closed = replace(challenge, status=status, verdict_hash=verdict_hash)
    store.set(get_challenge_key(challenge.id), closed)
    return closed
