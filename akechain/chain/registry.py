"""The app's modules, listed once in execution order, and every table derived from that list:
msg -> handler and its work units, begin/end-block hooks, the validator set's source (at most one module), invariants
("module/name"), params, genesis sections, key prefixes and queries. Adding a module is its
package plus one entry in `MODULES`.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Iterable

from akechain.chain.codec import Msg
from akechain.chain.module import BlockHook, Genesis, Handler, Invariant, Module, Query, Upgrade, ValidatorSetSource
from akechain.chain.modules.auth.module import MODULE as AUTH
from akechain.chain.modules.authz.module import MODULE as AUTHZ
from akechain.chain.modules.bank.module import MODULE as BANK
from akechain.chain.modules.bridge.module import MODULE as BRIDGE
from akechain.chain.modules.distribution.module import MODULE as DISTRIBUTION
from akechain.chain.modules.escrow.module import MODULE as ESCROW
from akechain.chain.modules.feegrant.module import MODULE as FEEGRANT
from akechain.chain.modules.gov.module import MODULE as GOV
from akechain.chain.modules.kpi.module import MODULE as KPI
from akechain.chain.modules.market.module import LEASES
from akechain.chain.modules.market.module import MODULE as MARKET
from akechain.chain.modules.reputation.module import MODULE as REPUTATION
from akechain.chain.modules.slashing.module import MODULE as SLASHING
from akechain.chain.modules.staking.module import MODULE as STAKING
from akechain.chain.modules.upgrade.module import MODULE as UPGRADE
from akechain.chain.modules.verify.module import make_module as make_verify_module
from akechain.chain.params import ParamSet
from akechain.chain.store import Hooks
from akechain.chain.work import DEFAULT_MSG_WORK, MsgWork, compute_tx_work

MODULES: tuple[Module, ...] = (UPGRADE, AUTH, BANK, STAKING, SLASHING, MARKET, ESCROW, make_verify_module(LEASES), REPUTATION, DISTRIBUTION,
                              GOV, AUTHZ, FEEGRANT, BRIDGE, KPI)


class RegistryError(ValueError):
    """Two modules claim the same name, key prefix, message type or error code range."""


class Registry:
    def __init__(self, modules: Iterable[Module] = MODULES, upgrades: Iterable[Upgrade] = ()) -> None:
        """`upgrades`: the plans this binary handles; their modules replace those of the same name."""
        upgrades = tuple(upgrades)
        self.modules = replace_modules(tuple(modules), upgrades)
        self._check_disjoint()
        self.upgrade_names: frozenset[str] = frozenset(u.name for u in upgrades)
        # whether the state records module versions and plans (the upgrade module is listed)
        self.tracks_upgrades = any(m.name == UPGRADE.name for m in self.modules)
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
        for m in self.modules:
            if m.consensus_version < 1 or any(not 1 <= v < m.consensus_version for v in m.migrations):
                raise RegistryError(f"{m.name} at consensus version {m.consensus_version} declares migrations "
                                    f"from versions {sorted(m.migrations)}: each must be 1 .. {m.consensus_version - 1}")
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


def replace_modules(modules: tuple[Module, ...], upgrades: tuple[Upgrade, ...]) -> tuple[Module, ...]:
    """`modules` with each upgrade's new descriptors in place of the old ones (same name, same slot)."""
    names = [u.name for u in upgrades]
    if len(set(names)) != len(names):
        raise RegistryError(f"upgrade names repeat: {names}")
    new = {}
    for upgrade in upgrades:
        for module in upgrade.modules:
            if module.name in new:
                raise RegistryError(f"module {module.name} is replaced by two upgrades")
            new[module.name] = module
    unknown = set(new) - {m.name for m in modules}
    if unknown:
        raise RegistryError(f"upgrades replace modules the chain does not have: {sorted(unknown)}")
    return tuple(new.get(m.name, m) for m in modules)


DEFAULT_REGISTRY = Registry()
