"""The market module's descriptor: providers, jobs, bids, leases, receipts and settlement. It drives
escrow and reputation, and serves verify the leases it judges (`LEASES`)."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.market import genesis, queries
from akechain.chain.modules.market.endblock import process_end_block
from akechain.chain.modules.market.handlers import HANDLERS
from akechain.chain.modules.market.invariants import INVARIANTS
from akechain.chain.modules.market.leases import LEASES
from akechain.chain.modules.market.msgs import MsgBid, MsgCreateJob, MsgTopUp
from akechain.chain.modules.market.params import PARAMS, PARAMS_KEY
from akechain.chain.modules.market.records import COLLATERAL_ACCOUNT, TABLES

__all__ = ["LEASES", "MODULE"]

MODULE = Module(
    name="market",
    prefixes=(PARAMS_KEY, *TABLES),
    error_codes=range(40, 60),
    handlers=HANDLERS,
    end_block=process_end_block,
    invariants=INVARIANTS,
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables=TABLES,
    queries={
        "params": queries.query_params,
        "provider": queries.query_provider,
        "providers": queries.query_providers,
        "job": queries.query_job,
        "jobs": queries.query_jobs,
        "bids": queries.query_bids,
        "lease": queries.query_lease,
        "leases": queries.query_leases,
        "escrow": queries.query_escrow_at,
        "reputation": queries.query_reputation,
    },
    strategies="akechain.chain.modules.market.strategies",
    accounts=(COLLATERAL_ACCOUNT,),
    # measured by bench.market (full blocks, execute + commit); the other messages cost the default
    work={MsgCreateJob: 300, MsgTopUp: 200, MsgBid: 300},
)
