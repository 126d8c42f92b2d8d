"""The staking module's descriptor: validators, delegations, unbonding and redelegation, and the
validator set it hands to consensus."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module, ValidatorSetSource
from akechain.chain.modules.staking import genesis
from akechain.chain.modules.staking.endblock import apply_validator_set_updates, get_validator_set, process_end_block
from akechain.chain.modules.staking.handlers import HANDLERS
from akechain.chain.modules.staking.invariants import INVARIANTS
from akechain.chain.modules.staking.params import PARAMS, PARAMS_KEY
from akechain.chain.modules.staking.queries import QUERIES
from akechain.chain.modules.staking.records import BONDED_POOL, NOT_BONDED_POOL, TABLES

MODULE = Module(
    name="staking",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(100, 120),
    handlers=HANDLERS,
    end_block=process_end_block,
    validator_set=ValidatorSetSource(updates=apply_validator_set_updates, current=get_validator_set),
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True, txs=genesis.get_gentxs),
    tables=TABLES,
    queries=QUERIES,
    strategies="akechain.chain.modules.staking.strategies",
    accounts=(BONDED_POOL, NOT_BONDED_POOL),
)
