"""`SimChain`: the real `App` and a block producer, in memory, for tests and simulations.

Blocks are applied exactly as a node applies them (finalize_block, then commit), at the height and
BFT time the caller chooses; the block's randomness seed (a node's previous commit hash) defaults
to a hash of the previous app hash, so a run depends only on genesis and the txs. Every applied
block is kept, so the same run can be replayed on a fresh chain (`replay`).

The validator set follows the engine's rules (`SimValidators`: the app's updates of height H act
from H + 2, proposers rotate by priority), so each block carries the proposer and the decided last
commit a node would hand the app; the caller says which validators missed it (`absent`) and which
misbehaved (`misbehavior`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Collection, Sequence

from akechain.chain.app import App
from akechain.chain.genesis import encode_app_state
from akechain.chain.registry import DEFAULT_REGISTRY, Registry
from consensus.abci import BlockRequest, FinalizeResult, GenesisRequest, Misbehavior, ValidatorUpdate, VoteInfo
from consensus.proposer import increment, make_validator_set, update
from consensus.types import ValidatorSet
from state.kv import MemoryKV
from state.store import CommitStore

BLOCK_TIME_MS = 1_000  # default spacing of BFT times


class SimChainError(ValueError):
    """A block asked for at a height or time the chain cannot take."""


@dataclass(frozen=True, slots=True)
class AppliedBlock:
    request: BlockRequest
    result: FinalizeResult
    app_hash: bytes


class SimValidators:
    """The sets that signed the last block, decide this one and decide the next (consensus/chain.py's
    `genesis_state` / `next_state` without the blocks)."""

    def __init__(self, genesis: Sequence[ValidatorUpdate]) -> None:
        self.last: ValidatorSet | None = None
        self.current = make_validator_set(genesis)
        self.next = increment(self.current, 1)

    def advance(self, updates: Sequence[ValidatorUpdate]) -> None:
        self.last, self.current, self.next = self.current, self.next, increment(update(self.next, updates), 1)

    def vote_infos(self, absent: Collection[bytes]) -> tuple[VoteInfo, ...]:
        """The last set, each validator signed unless its address is in `absent`."""
        if self.last is None:
            return ()
        return tuple(VoteInfo(v.address, v.power, v.address not in absent) for v in self.last.validators)


class SimChain:
    def __init__(self, app_state: dict, chain_id: str = "ake-sim-1", registry: Registry = DEFAULT_REGISTRY,
                 store: CommitStore | None = None, genesis_time_ms: int = 0, initial_height: int = 1) -> None:
        """A chain at height `initial_height - 1` from genesis `app_state` (an export's, above 0);
        `store` defaults to memory (pass a LevelKV-backed one to test on disk)."""
        self.app_state = app_state
        self.chain_id = chain_id
        self.registry = registry
        self.genesis_time_ms = genesis_time_ms
        self.initial_height = initial_height
        self.store = store if store is not None else CommitStore(MemoryKV())
        self.app = App(self.store, registry)
        response = self.app.init_chain(GenesisRequest(chain_id, genesis_time_ms, initial_height,
                                                      encode_app_state(app_state), ()))
        # height -> app hash after it (initial_height - 1: genesis)
        self.app_hashes: dict[int, bytes] = {initial_height - 1: response.app_hash}
        self.validators = SimValidators(response.validators) if response.validators else None
        self.blocks: list[AppliedBlock] = []

    @property
    def height(self) -> int:
        return self.app.info().last_height or self.initial_height - 1

    @property
    def time_ms(self) -> int:
        """BFT time of the last block (genesis time before the first)."""
        return self.blocks[-1].request.time_ms if self.blocks else self.genesis_time_ms

    def apply_block(self, txs: Sequence[bytes] = (), time_ms: int | None = None, seed: bytes | None = None,
                    absent: Collection[bytes] = (), misbehavior: Sequence[Misbehavior] = (),
                    last_commit_hash: bytes | None = None) -> FinalizeResult:
        """Finalize and commit the next block; `time_ms` must not go back in time. `absent`: consensus
        addresses of last-set validators whose precommit the block's last commit lacks. `seed` stands
        for the proposer's VRF output; `last_commit_hash` defaults to it."""
        height = self.height + 1
        if time_ms is None:
            time_ms = self.time_ms + BLOCK_TIME_MS
        if time_ms < self.time_ms:
            raise SimChainError(f"block {height} at {time_ms} ms is before the previous block's {self.time_ms} ms")
        if seed is None:
            seed = hashlib.sha256(self.app_hashes[height - 1] + height.to_bytes(8, "big")).digest()
        vset = self.validators
        request = BlockRequest(height=height, time_ms=time_ms, hash=bytes(32),
                               proposer_address=vset.current.proposer_address if vset else bytes(20),
                               txs=tuple(txs), last_commit_hash=seed if last_commit_hash is None else last_commit_hash,
                               misbehavior=tuple(misbehavior), seed=seed,
                               decided_last_commit=vset.vote_infos(absent) if vset else ())
        return self.apply(request)

    def apply(self, request: BlockRequest) -> FinalizeResult:
        """Apply a block exactly as given (its height must be the next one)."""
        if request.height != self.height + 1:
            raise SimChainError(f"block {request.height} given, the next height is {self.height + 1}")
        result = self.app.finalize_block(request)
        if self.validators is not None:
            self.validators.advance(result.validator_updates)
        app_hash = self.app.commit()
        self.app_hashes[request.height] = app_hash
        self.blocks.append(AppliedBlock(request, result, app_hash))
        return result

    def restart(self, registry: Registry) -> None:
        """Go on from the committed state under another binary's modules (e.g. one with an upgrade)."""
        self.registry = registry
        self.app = App(self.store, registry)

    def advance_to(self, height: int) -> list[FinalizeResult]:
        """Empty blocks up to `height` (end-of-block work due on the way runs)."""
        return [self.apply_block() for _ in range(self.height, height)]

    def query(self, module: str, name: str, *args: object) -> object:
        """A module's declared query on committed state, e.g. `chain.query("bank", "balance", address)`."""
        return self.app.query(module, name, *args)

    def check_invariants(self) -> None:
        """Every module's invariants on committed state (raises InvariantBrokenError)."""
        self.app.check_invariants()

    def export_genesis(self) -> dict:
        """Committed state as genesis `app_state`; `SimChain(export)` starts from the same app hash."""
        return self.app.export_app_state()

    def replay(self, store: CommitStore | None = None) -> SimChain:
        """The same genesis and blocks on a fresh chain; raises SimChainError at the first height
        whose app hash differs (the state transition is not deterministic)."""
        fresh = SimChain(self.app_state, self.chain_id, self.registry, store, self.genesis_time_ms, self.initial_height)
        first = self.initial_height - 1
        if fresh.app_hashes[first] != self.app_hashes[first]:
            raise SimChainError("genesis replays to another app hash")
        for block in self.blocks:
            fresh.apply(block.request)
            if fresh.app_hashes[block.request.height] != block.app_hash:
                raise SimChainError(f"height {block.request.height} replays to another app hash")
        return fresh
