"""Tools for property-testing akechain's state machine with hypothesis (public API; docs/testing.md).

`SimChain` runs the real app in memory, block by block, with no network and no disk; `SimDriver`
signs drafted txs for its accounts and checks every invariant after every block; `ChainMachine` is
the `RuleBasedStateMachine` to subclass; the `st_*` strategies draw messages (each module's own),
txs, accounts, params within bounds and genesis states; `simulate` is `akechain simulate`.
"""
from akechain.testing.driver import (
    ChainFailure,
    Setup,
    SimDriver,
    load_registry,
    make_sim_app_state,
    make_sim_keys,
    render_replay,
    run_replay,
)
from akechain.testing.governor import with_governor
from akechain.testing.machine import ChainMachine
from akechain.testing.sim import SimChain
from akechain.testing.strategies import (
    TxDraft,
    make_app_state,
    st_accounts,
    st_app_state,
    st_msg,
    st_params,
    st_signed_tx,
    st_tx,
)

__all__ = ["ChainFailure", "ChainMachine", "Setup", "SimChain", "SimDriver", "TxDraft", "load_registry",
           "make_app_state", "make_sim_app_state", "make_sim_keys", "render_replay", "run_replay", "st_accounts",
           "st_app_state", "st_msg", "st_params", "st_signed_tx", "st_tx", "with_governor"]
