"""The app's modules, listed once in execution order, and every table derived from that list:
msg -> handler and its work units, begin/end-block hooks, the validator set's source (at most one module), invariants
("module/name"), params, genesis sections, key prefixes and queries. Adding a module is its
package plus one entry in `MODULES`.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Iterable

from akechain.chain.codec import Msg
from akechain.chain.module import BlockHook, Genesis, Handler, Invariant, Module, Query, ValidatorSetSource
from akechain.chain.modules.auth.module import MODULE as AUTH
from akechain.chain.modules.authz.module import MODULE as AUTHZ
from akechain.chain.modules.bank.module import MODULE as BANK
from akechain.chain.modules.bridge.module import MODULE as BRIDGE
from akechain.chain.modules.distribution.module import MODULE as DISTRIBUTION
from akechain.chain.modules.escrow.module import MODULE as ESCROW
from akechain.chain.modules.feegrant.module import MODULE as FEEGRANT
from akechain.chain.modules.gov.module import MODULE as GOV
from akechain.chain.modules.market.module import LEASES
from akechain.chain.modules.market.module import MODULE as MARKET
from akechain.chain.modules.reputation.module import MODULE as REPUTATION
from akechain.chain.modules.slashing.module import MODULE as SLASHING
from akechain.chain.modules.staking.module import MODULE as STAKING
from akechain.chain.modules.verify.module import make_module as make_verify_module
from akechain.chain.params import ParamSet
from akechain.chain.store import Hooks
from akechain.chain.work import DEFAULT_MSG_WORK, MsgWork, compute_tx_work

MODULES: tuple[Module, ...] = (AUTH, BANK, STAKING, SLASHING, MARKET, ESCROW, make_verify_module(LEASES), REPUTATION, DISTRIBUTION,
                              GOV, AUTHZ, FEEGRANT, BRIDGE)


class RegistryError(ValueError):
    """Two modules claim the same name, key prefix, message type or error code range."""


class Registry:
    def __init__(self, modules: Iterable[Module] = MODULES) -> None:
        self.modules = tuple(modules)
        self._check_disjoint()
        self.handlers: dict[type[Msg], Handler] = {}
        self.work: dict[type[Msg], MsgWork] = {}
        for module in self.modules:
            for msg_type, handler in module.handlers.items():
                if msg_type in self.handlers:
                    raise RegistryError(f"{msg_type.__name__} has a handler in two modules")
                self.handlers[msg_type] = handler
                self.work[msg_type] = module.work.get(msg_type, DEFAULT_MSG_WORK)
            for msg_type in module.work:
                if msg_type not in module.handlers:
                    raise RegistryError(f"{module.name} declares the work of {msg_type.__name__}, which it does not handle")
        self.begin_blockers: tuple[BlockHook, ...] = tuple(m.begin_block for m in self.modules if m.begin_block)
        self.end_blockers: tuple[BlockHook, ...] = tuple(m.end_block for m in self.modules if m.end_block)
        sources = [m for m in self.modules if m.validator_set is not None]
        if len(sources) > 1:
            raise RegistryError(f"{' and '.join(m.name for m in sources)} both decide the validator set")
        self.validator_set: ValidatorSetSource | None = sources[0].validator_set if sources else None
        self.invariants: dict[str, Invariant] = {
            f"{m.name}/{name}": check for m in self.modules for name, check in m.invariants.items()
        }
        self.params: dict[str, ParamSet] = {m.name: m.params for m in self.modules if m.params is not None}
        self.genesis: dict[str, Genesis] = {m.name: m.genesis for m in self.modules if m.genesis is not None}
        self.queries: dict[str, dict[str, Query]] = {m.name: dict(m.queries) for m in self.modules}
        self.module_accounts: frozenset[bytes] = frozenset(a for m in self.modules for a in m.accounts)
        self.hooks: Hooks = MappingProxyType({
            name: tuple(m.hooks[name] for m in self.modules if name in m.hooks)
            for name in sorted({name for m in self.modules for name in m.hooks})
        })

    def compute_tx_work(self, msgs: Iterable[Msg]) -> int:
        """The work units of a tx carrying `msgs` (what its fee pays for and the block cap counts)."""
        return compute_tx_work(self.work, msgs)

    def _check_disjoint(self) -> None:
        names = [m.name for m in self.modules]
        if len(set(names)) != len(names):
            raise RegistryError(f"module names repeat: {names}")
        owned: list[tuple[bytes, str]] = sorted((p, m.name) for m in self.modules for p in m.prefixes)
        for (a, owner_a), (b, owner_b) in zip(owned, owned[1:]):
            if b.startswith(a):
                raise RegistryError(f"key prefix {b.hex()} of {owner_b} overlaps {a.hex()} of {owner_a}")
        ranges = sorted((m.error_codes.start, m.error_codes.stop, m.name) for m in self.modules)
        for (_, stop, name_a), (start, _, name_b) in zip(ranges, ranges[1:]):
            if start < stop:
                raise RegistryError(f"error codes of {name_b} overlap those of {name_a}")


DEFAULT_REGISTRY = Registry()
