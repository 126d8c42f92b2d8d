"""Reputation scores: integer EWMA (basis points) over on-time completion, verified results, uptime and
latency, updated on every settlement, penalty and slash; and the multiplier that scales collateral.

The history is keyed (`0x62 | provider | u64 sequence`), one entry per observation, the oldest
deleted as a new one passes `history_len`: an outcome writes one small entry and the counters, never
a record that holds the whole history."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.store import StoreView

REPUTATION_PREFIX = b"\x61"
HISTORY_PREFIX = b"\x62"  # + provider + u64 sequence
BPS = 10_000

# Outcome kinds recorded in the history
SETTLED = "settled"
PENALTY = "penalty"
SLASH = "slash"
UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class ReputationEntry:
    height: int
    kind: str
    sample_bps: int  # the observation folded in
    score_bps: int  # the score after it


@dataclass(frozen=True, slots=True)
class Reputation:
    score_bps: int
    settled: int  # leases paid after delivery
    on_time: int
    verified: int  # settled with a verified result (majority, referee, or unchallenged spot check)
    penalties: int  # deadline or SLA misses
    slashes: int
    history_count: int  # observations ever recorded: the next entry's sequence


@dataclass(frozen=True, slots=True)
class ReputationView:
    """A provider's reputation with its kept history (newest last), as queries show it."""

    score_bps: int
    settled: int
    on_time: int
    verified: int
    penalties: int
    slashes: int
    history: tuple[ReputationEntry, ...]


TABLES: dict[bytes, type] = {REPUTATION_PREFIX: Reputation, HISTORY_PREFIX: ReputationEntry}  # genesis rows


def get_reputation_key(provider: bytes) -> bytes:
    return REPUTATION_PREFIX + provider


def get_history_key(provider: bytes, sequence: int) -> bytes:
    return HISTORY_PREFIX + provider + sequence.to_bytes(8, "big")


def get_reputation(store: StoreView, provider: bytes, initial_bps: int) -> Reputation:
    record = store.get(get_reputation_key(provider), Reputation)
    if record is None:
        return Reputation(initial_bps, 0, 0, 0, 0, 0, 0)
    return record


def query_reputation(store: StoreView, provider: bytes, initial_bps: int, history_len: int) -> ReputationView:
    """Counters and the last `history_len` entries (fewer if the param grew since)."""
    record = get_reputation(store, provider, initial_bps)
    first = max(0, record.history_count - history_len)
    prefix = HISTORY_PREFIX + provider
    entries = tuple(entry for _, entry in store.iterate(prefix, ReputationEntry, prefix + first.to_bytes(8, "big")))
    return ReputationView(record.score_bps, record.settled, record.on_time, record.verified, record.penalties,
                          record.slashes, entries)


def get_score(store: StoreView, provider: bytes, initial_bps: int) -> int:
    record = store.get(get_reputation_key(provider), Reputation)
    return initial_bps if record is None else record.score_bps


def compute_sample(on_time: bool, verified: bool, uptime_bps: int, latency_score_bps: int) -> int:
    """One observation in bps: on-time and verified weigh 30% each, uptime 25%, latency 15%."""
    return (3_000 * on_time * BPS + 3_000 * verified * BPS + 2_500 * uptime_bps + 1_500 * latency_score_bps) // BPS


def compute_ewma(score_bps: int, sample_bps: int, alpha_bps: int) -> int:
    return (score_bps * (BPS - alpha_bps) + sample_bps * alpha_bps) // BPS


def compute_multiplier(score_bps: int, min_bps: int, max_bps: int) -> int:
    """Collateral multiplier: `max_bps` at score 0 down to `min_bps` at a perfect score."""
    return max_bps - (max_bps - min_bps) * score_bps // BPS


def record_outcome(
    store: StoreView,
    provider: bytes,
    height: int,
    kind: str,
    sample_bps: int,
    *,
    alpha_bps: int,
    initial_bps: int,
    history_len: int,
    on_time: bool = False,
    verified: bool = False,
) -> Reputation:
    old = get_reputation(store, provider, initial_bps)
    score = compute_ewma(old.score_bps, sample_bps, alpha_bps)
    sequence = old.history_count
    store.set(get_history_key(provider, sequence), ReputationEntry(height, kind, sample_bps, score))
    if sequence >= history_len:
        # the entry falling out of the window; after governance shortens `history_len`, the entries
        # then below the window stay (at most the old length, 256) and are never read again
        store.delete(get_history_key(provider, sequence - history_len))
    new = Reputation(
        score_bps=score,
        settled=old.settled + (kind == SETTLED),
        on_time=old.on_time + on_time,
        verified=old.verified + verified,
        penalties=old.penalties + (kind == PENALTY),
        slashes=old.slashes + (kind == SLASH),
        history_count=sequence + 1,
    )
    store.set(get_reputation_key(provider), new)
    return new
