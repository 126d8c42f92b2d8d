"""The gov module's descriptor: proposals that carry messages, deposits, votes (direct, inherited
from validators, delegated to any account), the tally and atomic execution in the end block, and
the treasury's one-off spends and continuous grants, and the guardian governance retires."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.gov import genesis
from akechain.chain.modules.gov.endblock import process_end_block
from akechain.chain.modules.gov.guardian import GUARDIAN_HANDLERS
from akechain.chain.modules.gov.handlers import HANDLERS
from akechain.chain.modules.gov.invariants import INVARIANTS
from akechain.chain.modules.gov.params import PARAMS, PARAMS_KEY
from akechain.chain.modules.gov.queries import QUERIES
from akechain.chain.modules.gov.records import DEPOSITS_POOL, GOV_AUTHORITY, TABLES

MODULE = Module(
    name="gov",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(180, 200),
    handlers={**HANDLERS, **GUARDIAN_HANDLERS},
    end_block=process_end_block,  # type: ignore[arg-type]  the app hands end blocks its journal
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables=TABLES,
    queries=QUERIES,
    strategies="akechain.chain.modules.gov.strategies",
    accounts=(DEPOSITS_POOL, GOV_AUTHORITY),
)
