"""The module descriptor: everything the app needs to know about a module, in one declaration.

Each package under `akechain.chain.modules` exports `MODULE = Module(...)` from its `module.py`
(verify, which needs the lease owner's keeper, exports `make_module(leases)`); the registry lists
the modules once, in execution order, and derives the app's tables from that list.

A module with messages also names its hypothesis strategies (`strategies`, the dotted path of its
`strategies.py`); only `akechain.testing` imports them, so a node never loads hypothesis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol

from akechain.chain.codec import Msg
from akechain.chain.crypto import Address
from akechain.chain.params import ParamSet
from akechain.chain.store import BlockContext, Event, StoreView
from akechain.chain.work import MsgWork
from consensus.abci import ValidatorUpdate

Handler = Callable[[StoreView, BlockContext, Address, Any], list[Event]]  # (store, ctx, sender, msg) -> events
BlockHook = Callable[[StoreView, BlockContext], list[Event]]
Invariant = Callable[[StoreView], None]  # raises InvariantBrokenError
Query = Callable[..., object]  # (committed store view, *args) -> record(s); never writes
Migration = Callable[[StoreView, BlockContext], None]  # moves a module's state one consensus version up


@dataclass(frozen=True, slots=True)
class Draft:
    """A message and the account that would sign it: what a module's strategies draw (the sender
    matters as much as the fields: a receipt is valid only from the lease's provider)."""

    sender: Address
    msg: Msg


class StrategyContext(Protocol):
    """What a module's strategies may read of the chain they draw for: its accounts (the keys the
    simulation holds) and its committed state through the modules' queries."""

    @property
    def accounts(self) -> tuple[Address, ...]: ...

    @property
    def height(self) -> int: ...

    @property
    def time_ms(self) -> int:
        """Block time of the last committed block (the next block is no earlier)."""
        ...

    @property
    def chain_id(self) -> str:
        """What txs sign (and the bridge's EVM signatures bind)."""
        ...

    def query(self, module: str, name: str, *args: object) -> Any: ...


@dataclass(frozen=True, slots=True)
class MsgStrategies:
    """One message type's strategies, each `ctx -> SearchStrategy[Draft]`, built anew at every draw
    (state moves): `valid` drafts should succeed in the current state, `invalid` ones must fail
    (a stateless check, or a stateful one such as the wrong sender or an unknown id). Either may be
    empty (`st.nothing()`) when the state offers nothing to act on; the kit then drafts another type."""

    valid: Callable[[StrategyContext], Any]
    invalid: Callable[[StrategyContext], Any]


class InvariantBrokenError(Exception):
    """A module's conservation law does not hold: a bug in the state machine, never a bad tx."""


@dataclass(frozen=True, slots=True)
class Genesis:
    """A module's section of genesis `app_state`: `init` imports it (None when an optional section
    is absent), `export` writes it so that re-importing gives the same state and app hash."""

    init: Callable[[StoreView, Any], None]
    export: Callable[[StoreView], dict]
    optional: bool = False
    # signed txs the section carries (staking's gentxs), run through the tx pipeline once every
    # module's genesis is imported (as Cosmos' genutil); a failing one fails the genesis
    txs: Callable[[Any], tuple[bytes, ...]] | None = None


@dataclass(frozen=True, slots=True)
class ValidatorSetSource:
    """The one module that decides the consensus validator set: `updates` runs after every module's
    end block and returns the changes (power 0 removes; consensus applies them from H+2), `current`
    the whole set (init_chain's answer, so an exported chain restarts with its set)."""

    updates: Callable[[StoreView, BlockContext], list[ValidatorUpdate]]
    current: Callable[[StoreView], list[ValidatorUpdate]]


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    prefixes: tuple[bytes, ...]  # every key the module writes starts with one of these
    error_codes: range  # codes of its AppError subclasses (unique across modules)
    handlers: Mapping[type[Msg], Handler] = field(default_factory=dict)
    begin_block: BlockHook | None = None
    end_block: BlockHook | None = None
    validator_set: ValidatorSetSource | None = None
    invariants: Mapping[str, Invariant] = field(default_factory=dict)
    params: ParamSet | None = None
    genesis: Genesis | None = None
    tables: Mapping[bytes, type] = field(default_factory=dict)  # record type under each key prefix
    queries: Mapping[str, Query] = field(default_factory=dict)
    strategies: str | None = None  # module path of its strategies.py: `STRATEGIES: {msg type: MsgStrategies}`
    accounts: tuple[bytes, ...] = ()  # its module accounts (`crypto.module_account`): no one may send to them
    # callbacks on other modules' hook points (e.g. "staking/before_delegation_modified"), as the
    # Cosmos SDK's StakingHooks: the calling module never imports the listener
    hooks: Mapping[str, Callable[..., None]] = field(default_factory=dict)
    # work units of its message types (`akechain.chain.work`); one not named costs DEFAULT_MSG_WORK
    work: Mapping[type[Msg], MsgWork] = field(default_factory=dict)
    # the version of its state layout; an upgrade plan runs `migrations[v]` (v -> v + 1) from the
    # version the chain's state records up to this one (as the Cosmos SDK's ConsensusVersion)
    consensus_version: int = 1
    migrations: Mapping[int, Migration] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What a release ships for the upgrade plan `name` (the Cosmos SDK's upgrade handler): the new
    descriptors of the modules it changes, each with a higher `consensus_version` and the migrations
    up to it. A registry given it replaces those modules and runs their migrations at the plan's height."""

    name: str
    modules: tuple[Module, ...] = ()
