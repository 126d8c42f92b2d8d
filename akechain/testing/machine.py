"""`ChainMachine`: the hypothesis `RuleBasedStateMachine` to subclass for chain-wide properties.

Out of the box it submits random valid and invalid txs drawn from every registered module's
strategies, runs them in blocks, checks every declared invariant after every block (and that no tx
hit an internal error), and at teardown replays all blocks on a fresh chain for the same app hash
at every height. A failure raises `ChainFailure`, whose message lists the shrunk counterexample's
blocks as txs; its `replay` document, also written to `.hypothesis/akechain/<machine>.json`, is
what `akechain simulate --replay FILE` runs again.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Sequence

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from akechain.chain.codec import Msg
from akechain.chain.crypto import Address, get_address
from akechain.chain.module import Draft
from akechain.chain.registry import Registry
from akechain.testing.driver import Setup, SimDriver, load_registry, make_sim_app_state, make_sim_keys
from akechain.testing.governor import MsgSetParams
from akechain.testing.sim import SimChain
from akechain.testing.strategies import TxDraft, get_msg_strategies, st_tx
from consensus.abci import FinalizeResult


# Each failing run overwrites its machine's file; hypothesis runs the shrunk example last, so it stays
REPLAY_DIR = Path(".hypothesis") / "akechain"


class ChainMachine(RuleBasedStateMachine):
    """Subclass it, add rules (and `@invariant`s of your own); set the class attributes to change the chain:

    - `registry_spec`: "package.module:attr" of the Registry to run (None: the chain's own modules);
    - `governed`: add the governor module, so rules may call `set_params` (the first account is its authority);
    - `account_count`: how many funded accounts the strategies draw senders from;
    - `modules`: the module names whose messages the default rules draw (None: every module);
    - override `make_app_state` for another genesis (e.g. other params: `make_sim_app_state(..., market=...)`).
    """

    registry_spec: ClassVar[str | None] = None
    governed: ClassVar[bool] = False
    account_count: ClassVar[int] = 8
    modules: ClassVar[tuple[str, ...] | None] = None

    def __init__(self) -> None:
        super().__init__()
        keys = make_sim_keys(self.account_count)
        registry = load_registry(self.registry_spec, self.governed)
        addresses = [get_address(key) for key in keys]
        authority = addresses[0] if self.governed else None
        setup = Setup(self.make_app_state(addresses, registry, authority), self.registry_spec, self.governed)
        self.driver = SimDriver(setup, keys, registry, REPLAY_DIR / f"{type(self).__name__}.json")
        self.authority = authority

    def make_app_state(self, addresses: Sequence[Address], registry: Registry, authority: Address | None) -> dict:
        """Genesis app_state of the run (default: `make_sim_app_state`)."""
        return make_sim_app_state(addresses, registry, authority)

    @property
    def chain(self) -> SimChain:
        return self.driver.chain

    def set_params(self, module: str, **changes: Any) -> None:
        """Queue the authority's tx changing `module`'s params (values in their genesis JSON form)."""
        if self.authority is None:
            raise TypeError("set_params needs `governed = True` on the machine")
        self.driver.submit(TxDraft(self.authority, (MsgSetParams(module, json.dumps(changes, sort_keys=True)),)))

    def draft(self, data: st.DataObject, msg_type: type[Msg], valid: bool = True) -> Draft | None:
        """A draft of `msg_type` from its module's strategies; None when the chain offers nothing to act on."""
        strategies = dict(get_msg_strategies(self.driver.registry))[msg_type]
        strategy = (strategies.valid if valid else strategies.invalid)(self.driver)
        return None if strategy.is_empty else data.draw(strategy)

    def send(self, data: st.DataObject, msg_type: type[Msg], valid: bool = True) -> None:
        """Queue a one-message tx of `msg_type` (if the chain offers something to act on)."""
        draft = self.draft(data, msg_type, valid)
        if draft is not None:
            self.driver.submit(TxDraft(draft.sender, (draft.msg,)))

    @rule(data=st.data())
    def submit_valid_tx(self, data: st.DataObject) -> None:
        self.driver.submit(data.draw(st_tx(self.driver, valid=True, module=self.modules)))

    @rule(data=st.data())
    def submit_invalid_tx(self, data: st.DataObject) -> None:
        self.driver.submit(data.draw(st_tx(self.driver, valid=False, module=self.modules)))

    @rule(blocks=st.integers(1, 3))
    def end_blocks(self, blocks: int) -> None:
        """The queued txs in one block, then empty ones (windows close, streams pay)."""
        for _ in range(blocks):
            self.end_block()

    def end_block(self) -> FinalizeResult:
        """Run the queued txs in a block and check it; extend it to check a model of your own."""
        return self.driver.end_block()

    def teardown(self) -> None:
        if self.driver.failure is None:
            if self.driver.pending:
                self.end_block()
            self.driver.check_determinism()
