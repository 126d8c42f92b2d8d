"""Where staking tells other modules that stake is about to move (x/staking's StakingHooks): a module
listens by naming these in its descriptor's `hooks`, so staking never imports it. Each callback gets
`(store, ctx, *args)` and must not fail for a valid staking change."""
from __future__ import annotations

from akechain.chain.store import BlockContext, StoreView

# (delegator, validator operator): before a delegation's shares change or it is created, so rewards
# earned at the old shares are settled first
BEFORE_DELEGATION_MODIFIED = "staking/before_delegation_modified"
# (delegator, validator operator): the delegation's last share is gone
AFTER_DELEGATION_REMOVED = "staking/after_delegation_removed"
# (validator operator): an unbonded validator without shares is forgotten
AFTER_VALIDATOR_REMOVED = "staking/after_validator_removed"


def call_hooks(ctx: BlockContext, name: str, store: StoreView, *args: bytes) -> None:
    for hook in ctx.hooks.get(name, ()):
        hook(store, ctx, *args)
