"""The verify module's descriptor; built around the lease owner's keeper (the market's), which is
how verify reaches leases without importing the market."""
from __future__ import annotations

from functools import partial

from akechain.chain.module import Module
from akechain.chain.modules.verify import handlers, queries
from akechain.chain.modules.verify.expected import LeaseKeeper
from akechain.chain.modules.verify.invariants import INVARIANTS
from akechain.chain.modules.verify.keeper import BOND_ACCOUNT, CHALLENGE_PREFIX, SEED_KEY, TABLES, process_begin_block
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict


def make_module(leases: LeaseKeeper) -> Module:
    """Challenge windows end through the market's height queue (it calls `handlers.resolve_challenge`),
    so verify has no end-block hook; its records are exported in the market genesis section."""
    return Module(
        name="verify",
        prefixes=(CHALLENGE_PREFIX, SEED_KEY),
        begin_block=process_begin_block,
        error_codes=range(70, 80),
        handlers={
            MsgChallenge: partial(handlers.process_challenge, leases),
            MsgVerdict: partial(handlers.process_verdict, leases),
        },
        invariants=INVARIANTS,
        tables=TABLES,
        queries={"challenge": queries.query_challenge, "challenges": queries.query_challenges},
        strategies="akechain.chain.modules.verify.strategies",
        accounts=(BOND_ACCOUNT,),
    )
