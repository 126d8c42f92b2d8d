"""What runs before any module's begin block (the Cosmos SDK's upgrade PreBlocker): at a plan's height,
a binary that knows the plan runs the modules' migrations and clears it; one that does not stops
(`UpgradeNeededError`). Before the height, a binary that knows the plan stops too
(`BinaryUpdatedEarlyError`): its modules would not compute the old version's state. Either halt
raises out of `finalize_block`, whose block journal is then dropped: nothing of the block applies."""
from __future__ import annotations

from collections.abc import Collection, Sequence

from akechain.chain.module import Module
from akechain.chain.modules.upgrade import keeper as k
from akechain.chain.modules.upgrade.errors import (
    BinaryTooOldError,
    BinaryUpdatedEarlyError,
    MigrationFailedError,
    UpgradeNeededError,
)
from akechain.chain.modules.upgrade.records import PLAN_KEY, AppliedPlan, Plan, get_applied_key
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def process_pre_block(store: StoreView, ctx: BlockContext, modules: Sequence[Module], known: Collection[str]) -> list[Event]:
    """`known`: the plan names this binary has an upgrade for."""
    refuse_newer_state(store, modules)
    plan = k.get_plan(store)
    if plan is None:
        return []
    if plan.height > ctx.height:
        if plan.name in known:
            raise BinaryUpdatedEarlyError(f"BINARY UPDATED BEFORE TRIGGER! UPGRADE \"{plan.name}\" is in this binary "
                                          f"but due at height {plan.height}, not {ctx.height}: run the previous "
                                          "version until then")
        return []
    if plan.name not in known:
        raise UpgradeNeededError(f"UPGRADE \"{plan.name}\" NEEDED at height {plan.height}: {plan.info or 'no info'}; "
                                 "restart with a version that handles it")
    return apply_plan(store, ctx, plan, modules)


def refuse_newer_state(store: StoreView, modules: Sequence[Module]) -> None:
    """An old binary restarted after the chain applied a plan must not compute blocks of the new
    version (one read per module: the versions are a few small records)."""
    for module in modules:
        stored = k.get_version(store, module.name)
        if stored is not None and stored > module.consensus_version:
            raise BinaryTooOldError(f"module {module.name} is at consensus version {stored} in state, this binary "
                                    f"has {module.consensus_version}: run the version that applied the upgrade")


def apply_plan(store: StoreView, ctx: BlockContext, plan: Plan, modules: Sequence[Module]) -> list[Event]:
    events = [make_event("upgrade_applied", name=plan.name, height=ctx.height)]
    for module in modules:
        try:
            migrated = migrate_module(store, ctx, module)
        except MigrationFailedError:
            raise
        except Exception as exc:  # noqa: BLE001  whatever a migration hits, the block is not applied
            if isinstance(exc, MemoryError):
                raise
            raise MigrationFailedError(f"UPGRADE \"{plan.name}\" at height {ctx.height}: migration of {module.name} "
                                       f"failed: {type(exc).__name__}: {exc}") from exc
        if migrated:
            events.append(make_event("module_migrated", module=module.name, versions=migrated))
    store.delete(PLAN_KEY)
    store.set(get_applied_key(plan.name), AppliedPlan(ctx.height))
    return events


def migrate_module(store: StoreView, ctx: BlockContext, module: Module) -> str:
    """Run a module's migrations from its stored version to its declared one ("" when none ran); a
    module the state does not know yet (added by this upgrade) starts from its default genesis."""
    stored = k.get_version(store, module.name)
    declared = module.consensus_version
    if stored is None:
        if module.genesis is not None:
            if not module.genesis.optional:
                raise MigrationFailedError(f"new module {module.name} needs a genesis section")
            module.genesis.init(store, None)
        k.set_version(store, module.name, declared)
        return f"new:{declared}"
    if stored > declared:
        raise MigrationFailedError(f"module {module.name} is at version {stored} in state but {declared} in this binary")
    for version in range(stored, declared):
        migration = module.migrations.get(version)
        if migration is None:
            raise MigrationFailedError(f"module {module.name} has no migration from version {version}")
        migration(store, ctx)
    k.set_version(store, module.name, declared)
    return f"{stored}->{declared}" if stored != declared else ""


def init_versions(store: StoreView, modules: Sequence[Module]) -> None:
    """A new chain's state is at each module's declared version (written at init_chain)."""
    for module in modules:
        k.set_version(store, module.name, module.consensus_version)
