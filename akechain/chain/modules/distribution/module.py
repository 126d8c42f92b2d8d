"""The distribution module's descriptor: the block's fee and emission split, rewards by an O(1)
per-share accumulator, commission, withdraw addresses and the keyless treasury."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.bank.keeper import TREASURY
from akechain.chain.modules.distribution import genesis
from akechain.chain.modules.distribution.beginblock import process_begin_block
from akechain.chain.modules.distribution.handlers import HANDLERS
from akechain.chain.modules.distribution.invariants import INVARIANTS
from akechain.chain.modules.distribution.keeper import forget_delegation, forget_validator, settle_delegation
from akechain.chain.modules.distribution.params import PARAMS, PARAMS_KEY
from akechain.chain.modules.distribution.queries import QUERIES
from akechain.chain.modules.distribution.records import REWARDS_POOL, TABLES
from akechain.chain.modules.staking.hooks import (
    AFTER_DELEGATION_REMOVED,
    AFTER_VALIDATOR_REMOVED,
    BEFORE_DELEGATION_MODIFIED,
)

MODULE = Module(
    name="distribution",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(160, 180),
    handlers=HANDLERS,
    begin_block=process_begin_block,
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables=TABLES,
    queries=QUERIES,
    strategies="akechain.chain.modules.distribution.strategies",
    accounts=(REWARDS_POOL, TREASURY),
    hooks={
        BEFORE_DELEGATION_MODIFIED: settle_delegation,
        AFTER_DELEGATION_REMOVED: forget_delegation,
        AFTER_VALIDATOR_REMOVED: forget_validator,
    },
)
