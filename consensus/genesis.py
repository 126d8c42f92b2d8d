"""Genesis parameters of the engine: the first validator set, height and time."""
from __future__ import annotations

from dataclasses import dataclass

from consensus.abci import ValidatorUpdate


@dataclass(frozen=True, slots=True)
class Genesis:
    genesis_time_ms: int
    validators: tuple[ValidatorUpdate, ...]
    initial_height: int = 1
    app_state: bytes = b"{}"  # canonical JSON of the app's genesis state, passed to init_chain
