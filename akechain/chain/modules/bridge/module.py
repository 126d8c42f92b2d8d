"""The bridge module's descriptor: validators' EVM keys, the outgoing queue and its batches,
valsets, orchestrator signatures, attested EVM events and the punishment of bad or missing
signatures (in the manner of Gravity Bridge's x/gravity)."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.bridge import genesis
from akechain.chain.modules.bridge.endblock import process_end_block
from akechain.chain.modules.bridge.handlers import HANDLERS
from akechain.chain.modules.bridge.invariants import INVARIANTS
from akechain.chain.modules.bridge.params import PARAMS, PARAMS_KEY
from akechain.chain.modules.bridge.queries import QUERIES
from akechain.chain.modules.bridge.records import BRIDGE_ACCOUNT, TABLES

MODULE = Module(
    name="bridge",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(200, 220),
    handlers=HANDLERS,
    end_block=process_end_block,
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables=TABLES,
    queries=QUERIES,
    strategies="akechain.chain.modules.bridge.strategies",
    accounts=(BRIDGE_ACCOUNT,),
)
