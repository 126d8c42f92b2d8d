"""The interface between the consensus engine and the application (ABCI-like).

The engine knows blocks only as ordered tx bytes; everything AKE-specific lives behind
`Application`. A toy app in the tests implements the same Protocol, so the engine is tested
without `akechain`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from state.codec import decode, encode_wire, to_wire


@dataclass(frozen=True, slots=True)
class ValidatorUpdate:
    """Set `pub_key`'s voting power; power 0 removes the validator."""

    pub_key: bytes
    power: int


@dataclass(frozen=True, slots=True)
class Misbehavior:
    """Verified duplicate-vote evidence handed to the app for slashing."""

    validator_address: bytes
    height: int
    time_ms: int
    power: int


@dataclass(frozen=True, slots=True)
class VoteInfo:
    """One validator of the previous height's set and whether its precommit is in the decided
    last commit (ABCI++ `decided_last_commit`): what downtime tracking and rewards read."""

    validator_address: bytes
    power: int
    signed: bool


@dataclass(frozen=True, slots=True)
class AppInfo:
    """What the app has durably committed; the engine replays blocks above `last_height`."""

    last_height: int
    last_app_hash: bytes


@dataclass(frozen=True, slots=True)
class GenesisRequest:
    chain_id: str
    genesis_time_ms: int
    initial_height: int
    app_state: bytes  # canonical JSON text of the genesis "app_state", as bytes
    validators: tuple[ValidatorUpdate, ...]


@dataclass(frozen=True, slots=True)
class GenesisResponse:
    app_hash: bytes
    validators: tuple[ValidatorUpdate, ...]  # empty: keep the genesis file's set


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Verdict of mempool admission. `code` 0 is OK; anything else carries a `log` reason."""

    code: int
    log: str = ""
    priority: int = 0
    sender: bytes = b""
    nonce: int = 0

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True, slots=True)
class BlockRequest:
    """A block as the app sees it (for process_proposal and finalize_block)."""

    height: int
    time_ms: int  # BFT time from the header: the only clock the state machine may read
    hash: bytes
    proposer_address: bytes
    txs: tuple[bytes, ...]
    last_commit_hash: bytes
    misbehavior: tuple[Misbehavior, ...] = ()
    decided_last_commit: tuple[VoteInfo, ...] = ()  # every validator of height - 1, in set order
    # the proposer's verified VRF output for this height: randomness it can withhold (by not
    # proposing) but not choose, unlike the last commit, whose extra precommits it picks
    seed: bytes = b""


@dataclass(frozen=True, slots=True)
class TxResult:
    code: int
    log: str = ""
    events: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True, slots=True)
class FinalizeResult:
    tx_results: tuple[TxResult, ...]
    validator_updates: tuple[ValidatorUpdate, ...] = ()
    app_hash: bytes = b""  # the state root after this block (also returned by commit)
    events: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default=())


class Application(Protocol):
    """What the engine calls, from one task, in this order per height:
    (check_tx at any time) prepare_proposal | process_proposal -> finalize_block -> commit.
    process_proposal, finalize_block and commit run in a worker thread (finalize and commit while
    the driver holds its `app_lock`), so check_tx callers take that lock and an app's read-only
    queries must tolerate a commit landing between two reads."""

    def info(self) -> AppInfo: ...

    def init_chain(self, request: GenesisRequest) -> GenesisResponse: ...

    def check_tx(self, tx: bytes) -> CheckResult: ...

    def prepare_proposal(self, txs: list[bytes], max_bytes: int) -> list[bytes]: ...

    def process_proposal(self, block: BlockRequest) -> bool: ...

    def finalize_block(self, block: BlockRequest) -> FinalizeResult: ...

    def commit(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _Attribute:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class _Event:
    type: str
    attributes: tuple[_Attribute, ...]


@dataclass(frozen=True, slots=True)
class _StoredTxResult:
    code: int
    log: str
    events: tuple[_Event, ...]


@dataclass(frozen=True, slots=True)
class _StoredResults:
    tx_results: tuple[_StoredTxResult, ...]
    validator_updates: tuple[ValidatorUpdate, ...]
    app_hash: bytes
    events: tuple[_Event, ...]


def _from_events(events: tuple[_Event, ...]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple((e.type, tuple((a.key, a.value) for a in e.attributes)) for e in events)


def encode_results(result: FinalizeResult) -> bytes:
    """Codec bytes of a FinalizeResult as a `_StoredResults`. The nested event tuples already have
    the wire form of `_Event`s, so they are packed as they are: building a record per event and
    attribute took a fifth of a synced block's execution."""
    return encode_wire((
        tuple((r.code, r.log, r.events) for r in result.tx_results),
        tuple(to_wire(u) for u in result.validator_updates), result.app_hash, result.events,
    ))


def decode_results(data: bytes) -> FinalizeResult:
    stored = decode(_StoredResults, data)
    return FinalizeResult(
        tuple(TxResult(r.code, r.log, _from_events(r.events)) for r in stored.tx_results),
        stored.validator_updates, stored.app_hash, _from_events(stored.events),
    )
