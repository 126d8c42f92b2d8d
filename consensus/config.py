"""Consensus timing and size knobs (CometBFT's [consensus] config section)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    timeout_propose_ms: int = 3000
    timeout_propose_delta_ms: int = 500
    # A proposer that missed its last turn (its round ended without its block, and no proposal of
    # its arrived since) gets this instead: a validator that is down or cut off costs its peers
    # this long per turn rather than the full timeout. A live one heals at once: any proposal it
    # signs, even a late one, restores the full timeout for its next turn.
    timeout_propose_absent_ms: int = 500
    timeout_prevote_ms: int = 1000
    timeout_prevote_delta_ms: int = 500
    timeout_precommit_ms: int = 1000
    timeout_precommit_delta_ms: int = 500
    # Pause after a commit so late precommits and the next height's txs can arrive.
    timeout_commit_ms: int = 1000
    # False: wait at a new height until txs arrive (or the interval passes, if non-zero).
    create_empty_blocks: bool = True
    create_empty_blocks_interval_ms: int = 0
    max_block_bytes: int = 1024 * 1024
    # Past this many WAL bytes in one height, peer proposals and votes of that height are dropped
    # (neither written nor handled: acting on unlogged input could break a lock after a crash).
    # Honest traffic is far below it; catch-up commits, own messages and timeouts are never dropped.
    max_wal_bytes_per_height: int = 64 * 1024 * 1024
    # A lagging peer gets the same catch-up blocks at most once per interval (sooner once it asks
    # past them); keep it well under the time of MAX_CATCHUP_HEIGHTS heights, or it falls out of reach.
    catchup_interval_ms: int = 2000

    def propose_timeout(self, round: int, proposer_absent: bool = False) -> int:
        base = min(self.timeout_propose_absent_ms, self.timeout_propose_ms) if proposer_absent else self.timeout_propose_ms
        return base + round * self.timeout_propose_delta_ms

    def prevote_timeout(self, round: int) -> int:
        return self.timeout_prevote_ms + round * self.timeout_prevote_delta_ms

    def precommit_timeout(self, round: int) -> int:
        return self.timeout_precommit_ms + round * self.timeout_precommit_delta_ms

    @property
    def max_message_bytes(self) -> int:
        """Wire cap: a proposal carries the block, its last commit and POL votes besides the txs."""
        return 2 * self.max_block_bytes + 1024 * 1024
