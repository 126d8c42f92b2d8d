"""The slashing module's descriptor: signing infos and missed-blocks bitmaps, downtime and
double-sign punishment in begin block, unjail."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.slashing import genesis
from akechain.chain.modules.slashing.beginblock import process_begin_block
from akechain.chain.modules.slashing.handlers import HANDLERS
from akechain.chain.modules.slashing.invariants import INVARIANTS
from akechain.chain.modules.slashing.params import PARAMS, PARAMS_KEY
from akechain.chain.modules.slashing.queries import QUERIES
from akechain.chain.modules.slashing.records import TABLES

MODULE = Module(
    name="slashing",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(140, 160),
    handlers=HANDLERS,
    begin_block=process_begin_block,
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables=TABLES,
    queries=QUERIES,
    strategies="akechain.chain.modules.slashing.strategies",
)
