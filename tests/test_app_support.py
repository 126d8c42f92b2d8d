"""Shared fixtures for the app tests: deterministic keys, a genesis'd app, and a block runner."""
from __future__ import annotations

from dataclasses import replace

from consensus.abci import BlockRequest, FinalizeResult, GenesisRequest
from akechain.chain.app import App
from akechain.chain.crypto import get_address, signing_key_from_seed
from akechain.chain.genesis import build_genesis, encode_app_state
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.distribution.params import DEFAULT_PARAMS as DEFAULT_DISTRIBUTION_PARAMS
from state.kv import MemoryKV
from state.store import CommitStore

CHAIN_ID = "ake-test-1"
AUTH_PARAMS = AuthParams(min_fee=10, fee_per_msg=0, fee_per_byte=0, max_tx_bytes=4096, max_memo_length=32,
                         fee_per_work=0)  # flat fee: tests of other rules
# no emission: an empty block after an empty fee collector changes nothing (the treasury moves only by fees)
DISTRIBUTION_PARAMS = replace(DEFAULT_DISTRIBUTION_PARAMS, emission_per_block=0)


def make_keys(n: int) -> list:
    return [signing_key_from_seed(bytes([i + 1]) * 32) for i in range(n)]


def make_genesis(keys: list, amount: int = 10**9) -> dict:
    return build_genesis(CHAIN_ID, (), {get_address(k): amount for k in keys}, AUTH_PARAMS,
                         distribution_params=DISTRIBUTION_PARAMS)


def make_app(app_state: dict, store: CommitStore | None = None, **app_options) -> tuple[App, bytes]:
    app = App(store if store is not None else CommitStore(MemoryKV()), **app_options)
    response = app.init_chain(GenesisRequest(CHAIN_ID, 0, 1, encode_app_state(app_state), ()))
    return app, response.app_hash


def run_block(app: App, txs: list[bytes]) -> tuple[FinalizeResult, bytes]:
    height = app.info().last_height + 1
    block = BlockRequest(height=height, time_ms=height * 1000, hash=bytes(32), proposer_address=bytes(20),
                         txs=tuple(txs), last_commit_hash=bytes(32))
    result = app.finalize_block(block)
    return result, app.commit()
