"""Genesis parameters of the engine: the first validator set, height and time, and the consensus
params every node must agree on (the evidence max age)."""
from __future__ import annotations

from dataclasses import dataclass

from consensus.abci import ValidatorUpdate


DEFAULT_EVIDENCE_MAX_AGE_BLOCKS = 100_000  # CometBFT's default
DEFAULT_EVIDENCE_MAX_AGE_MS = 48 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class EvidenceParams:
    """Evidence is accepted while younger than both ages (in blocks and in block time), judged at
    the height and time of the block that carries it. The app must keep stake slashable at least
    this long: its unbonding period must be >= `max_age_ms` (CometBFT/Cosmos SDK rule)."""

    max_age_blocks: int = DEFAULT_EVIDENCE_MAX_AGE_BLOCKS
    max_age_ms: int = DEFAULT_EVIDENCE_MAX_AGE_MS

    def __post_init__(self) -> None:
        if self.max_age_blocks < 1 or self.max_age_ms < 1:
            raise ValueError(f"evidence max age must be positive, got {self.max_age_blocks} blocks, {self.max_age_ms} ms")


@dataclass(frozen=True, slots=True)
class Genesis:
    genesis_time_ms: int
    validators: tuple[ValidatorUpdate, ...]
    initial_height: int = 1
    app_state: bytes = b"{}"  # canonical JSON of the app's genesis state, passed to init_chain
    evidence: EvidenceParams = EvidenceParams()
