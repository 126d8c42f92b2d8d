"""The kpi module's descriptor: per-period network figures for governance reviews (supply, burn,
emission, treasury, fees, market volume, utilisation, providers and their reputation, proposals and
turnout). Listed last, so its end block sees every flow of the block."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.kpi import genesis
from akechain.chain.modules.kpi.endblock import process_end_block
from akechain.chain.modules.kpi.params import PARAMS
from akechain.chain.modules.kpi.queries import QUERIES
from akechain.chain.modules.kpi.records import PARAMS_KEY, TABLES

MODULE = Module(
    name="kpi",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(250, 261),
    end_block=process_end_block,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables=TABLES,
    queries=QUERIES,
)
