"""The bank module's descriptor: balances, supply, transfers and fee collection."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.bank import genesis
from akechain.chain.modules.bank.handlers import HANDLERS
from akechain.chain.modules.bank.invariants import INVARIANTS
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend
from akechain.chain.modules.bank.keeper import (
    BALANCE_PREFIX,
    FEE_COLLECTOR,
    SUPPLY_KEY,
    Balance,
    Supply,
    get_balance,
    get_supply,
)

MODULE = Module(
    name="bank",
    prefixes=(BALANCE_PREFIX, SUPPLY_KEY),
    error_codes=range(20, 30),
    handlers=HANDLERS,
    invariants=INVARIANTS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis),
    tables={BALANCE_PREFIX: Balance, SUPPLY_KEY: Supply},
    queries={"balance": get_balance, "supply": get_supply},
    strategies="akechain.chain.modules.bank.strategies",
    accounts=(FEE_COLLECTOR,),
    # two balance writes; a multi-send one per output besides the sender's
    work={MsgSend: 50, MsgMultiSend: lambda msg, _: 50 + 40 * len(msg.outputs)},
)
