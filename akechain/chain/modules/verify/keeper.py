"""Challenges and bonds, and the pure verification maths (draws, majority). The market owns the
leases and the provider collateral that verdicts pay out of; verify reaches them only through
`expected.LeaseKeeper`.

Randomness: every block carries its proposer's VRF output for the height (`ctx.random_seed`,
verified by consensus), unique for that proposer and height, so the proposer can withhold its block
but not choose among values. Each block folds it into the stored chain seed, `seed_h = sha256(seed_h-1 ‖
vrf_h)`, so a proposer learns seed_h only when it builds block h, not ahead from its key alone. Draws
hash the chain seed with a purpose tag and an id, so each is independent of the others and of the
order txs arrive in.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from akechain.chain.crypto import Address, module_account
from akechain.chain.modules.bank.keeper import process_transfer
from akechain.chain.modules.verify.errors import ChallengeNotFoundError
from akechain.chain.store import BlockContext, Event, StoreView

CHALLENGE_PREFIX = b"\x51"
SEED_KEY = b"\x52"
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


@dataclass(frozen=True, slots=True)
class ChainSeed:
    value: bytes  # sha256 chain of every block's VRF output so far


TABLES: dict[bytes, type] = {CHALLENGE_PREFIX: Challenge, SEED_KEY: ChainSeed}  # record type per key prefix (genesis rows)


def get_chain_seed(store: StoreView) -> bytes:
    """The seed draws of this block use (after `process_begin_block` folded the block's VRF output in)."""
    record = store.get(SEED_KEY, ChainSeed)
    return b"" if record is None else record.value


def process_begin_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    if not ctx.random_seed:  # a block without a VRF output (only in tests) adds no entropy
        return []
    seed = hashlib.sha256(b"akechain/chain-seed" + get_chain_seed(store) + ctx.random_seed).digest()
    store.set(SEED_KEY, ChainSeed(seed))
    return []


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
