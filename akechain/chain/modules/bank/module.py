"""The bank module's descriptor: balances, supply, transfers and the fee split."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.bank import genesis
from akechain.chain.modules.bank.handlers import HANDLERS
from akechain.chain.modules.bank.invariants import INVARIANTS
from akechain.chain.modules.bank.keeper import BALANCE_PREFIX, SUPPLY_KEY, Balance, Supply, get_balance, get_supply
from akechain.chain.modules.bank.params import PARAMS, PARAMS_KEY

MODULE = Module(
    name="bank",
    prefixes=(BALANCE_PREFIX, SUPPLY_KEY, PARAMS_KEY),
    error_codes=range(20, 30),
    handlers=HANDLERS,
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis),
    tables={BALANCE_PREFIX: Balance, SUPPLY_KEY: Supply},
    queries={"balance": get_balance, "supply": get_supply},
    strategies="akechain.chain.modules.bank.strategies",
)
