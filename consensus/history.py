"""What the engine remembers of decided heights, for evidence up to the evidence max age.

Evidence of a double sign at height h is verified against the validator set of h and aged by the
block time of h, and a block may not carry evidence that an earlier block carried. So the
consensus KV keeps, beside the chain state:

- a validator set at each height where it changes (its hash differs from the height before's);
  the set of h is the last change at or below h. Priorities are those of the change's height:
  they play no part in verifying votes or commits;
- the block time of every decided height;
- the hashes of committed evidence, by the evidence's height.

All three are pruned as the chain moves: evidence from below `height - max_age_blocks` is refused
for its age alone, so nothing older is needed, and each record is bounded by the max age in blocks.
"""
from __future__ import annotations

from collections.abc import Iterable

from consensus.genesis import EvidenceParams
from consensus.types import Block, ValidatorSet
from state.codec import decode, encode
from state.kv import KV

VALIDATORS_PREFIX = b"consensus/history/validators/"
TIME_PREFIX = b"consensus/history/time/"
EVIDENCE_PREFIX = b"consensus/history/evidence/"


def _height_bytes(height: int) -> bytes:
    return height.to_bytes(8, "big")


def _height_of(key: bytes, prefix: bytes) -> int:
    return int.from_bytes(key[len(prefix):len(prefix) + 8], "big")


class History:
    """Validator sets, block times and committed evidence of past heights, over the consensus KV.
    The driver writes each decided height (`record`) in the same batch as the chain state."""

    def __init__(self, kv: KV, params: EvidenceParams = EvidenceParams()) -> None:
        self.kv = kv
        self.params = params
        self._latest: tuple[int, ValidatorSet] | None = None  # the newest change of the set
        self._pending: tuple[int, ValidatorSet] | None = None  # the same, once the last record is written

    def validators_at(self, height: int) -> ValidatorSet | None:
        latest = self._latest_change()
        if latest is not None and height >= latest[0]:
            return latest[1]
        for _, raw in self.kv.iterate(VALIDATORS_PREFIX, start=VALIDATORS_PREFIX + _height_bytes(height), reverse=True):
            return decode(ValidatorSet, raw)
        return None

    def time_at(self, height: int) -> int | None:
        """The block time of decided `height`, if still kept."""
        raw = self.kv.get(TIME_PREFIX + _height_bytes(height))
        return None if raw is None else int.from_bytes(raw, "big")

    def has_evidence(self, height: int, evidence_hash: bytes) -> bool:
        return self.kv.get(EVIDENCE_PREFIX + _height_bytes(height) + evidence_hash) is not None

    def record(self, next_height: int, sets: Iterable[tuple[int, ValidatorSet]], decided: Block | None,
               ) -> tuple[dict[bytes, bytes], list[bytes]]:
        """(puts, deletes) once the chain reached `next_height`: the sets of the given heights
        (in increasing order; stored only where they change), the decided block's time and
        evidence, and what fell out of the max age. Call `recorded` after writing them."""
        puts: dict[bytes, bytes] = {}
        self._pending = self._latest_change()
        for height, validators in sets:
            known = self._pending[1] if self._pending is not None and height >= self._pending[0] else self.validators_at(height - 1)
            if known is None or known.hash() != validators.hash():
                puts[VALIDATORS_PREFIX + _height_bytes(height)] = encode(validators)
                self._pending = (height, validators)
        if decided is not None:
            h = decided.header.height
            puts[TIME_PREFIX + _height_bytes(h)] = _height_bytes(decided.header.time_ms)
            for evidence in decided.evidence:
                puts[EVIDENCE_PREFIX + _height_bytes(evidence.height) + evidence.hash()] = b""
        return puts, self._expired(next_height - self.params.max_age_blocks)

    def recorded(self) -> None:
        """The batch from the last `record` is written."""
        self._latest = self._pending

    def _latest_change(self) -> tuple[int, ValidatorSet] | None:
        if self._latest is None:
            for key, raw in self.kv.iterate(VALIDATORS_PREFIX, reverse=True):
                self._latest = (_height_of(key, VALIDATORS_PREFIX), decode(ValidatorSet, raw))
                break
        return self._latest

    def _expired(self, cutoff: int) -> list[bytes]:
        """Keys of heights below `cutoff`, except the set change that still defines `cutoff`'s set."""
        deletes = [key for prefix in (TIME_PREFIX, EVIDENCE_PREFIX) for key in self._below(prefix, cutoff)]
        return deletes + self._below(VALIDATORS_PREFIX, cutoff + 1)[:-1]

    def _below(self, prefix: bytes, height: int) -> list[bytes]:
        keys = []
        for key, _ in self.kv.iterate(prefix):
            if _height_of(key, prefix) >= height:
                break
            keys.append(key)
        return keys
