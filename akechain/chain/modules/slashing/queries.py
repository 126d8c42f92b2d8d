"""Read-only slashing queries for RPC, CLI and tests (committed state; none writes)."""
from __future__ import annotations

from akechain.chain.modules.slashing.keeper import get_signing_info
from akechain.chain.modules.slashing.params import Params, get_params
from akechain.chain.modules.slashing.records import SigningInfo
from akechain.chain.modules.staking.keeper import get_validator
from akechain.chain.store import StoreView
from consensus.types import address_of


def query_signing_info(store: StoreView, operator: bytes) -> SigningInfo | None:
    """The signing info of the validator `operator` runs (None: unknown, or it never signed a block)."""
    validator = get_validator(store, operator)
    return None if validator is None else get_signing_info(store, address_of(validator.consensus_pub_key))


def query_signing_info_by_address(store: StoreView, consensus_address: bytes) -> SigningInfo | None:
    return get_signing_info(store, consensus_address)


def query_params(store: StoreView) -> Params:
    return get_params(store)


QUERIES = {
    "signing_info": query_signing_info,
    "signing_info_by_address": query_signing_info_by_address,
    "params": query_params,
}
