"""JSON views of staking records for the HTTP API: operators and delegators bech32, consensus keys
hex, statuses named. The `/validators` contract: `operator`, `consensus_pub_key`, `tokens`,
`power`, `status` ("bonded", "unbonding", "unbonded"), `jailed`, `tombstoned`, and the rest of the record
(commission rate, max rate, max change rate); besides, from slashing, `uptime` (the share of the
window's counted blocks it signed, 1.0 before any), `missed_blocks`, `signed_blocks_window` and
`jailed_until_ms`."""
from __future__ import annotations

from typing import Any

from akechain.chain.modules.slashing import queries as slashing_queries
from akechain.chain.modules.slashing.keeper import compute_uptime
from akechain.chain.modules.staking import queries
from akechain.chain.modules.staking.records import STATUS_NAMES
from akechain.chain.store import StoreView
from akechain.node.rpc.render import record_to_json


def validator_json(store: StoreView, view: queries.ValidatorView) -> dict[str, Any]:
    doc = record_to_json(view.validator)
    doc["status"] = STATUS_NAMES[view.validator.status]
    doc["power"] = view.power
    info = slashing_queries.query_signing_info(store, view.validator.operator)
    signed, counted = (0, 0) if info is None else compute_uptime(info)
    doc["uptime"] = round(signed / counted, 4) if counted else 1.0
    doc["missed_blocks"] = 0 if info is None else info.missed_blocks_counter
    doc["signed_blocks_window"] = slashing_queries.query_params(store).signed_blocks_window
    doc["jailed_until_ms"] = 0 if info is None else info.jailed_until_ms
    return doc


def get_validators(store: StoreView) -> list[dict[str, Any]]:
    return [validator_json(store, view) for view in queries.query_validators(store)]


def get_validator(store: StoreView, operator: bytes) -> dict[str, Any] | None:
    view = queries.query_validator(store, operator)
    return None if view is None else validator_json(store, view)


def get_signing_info(store: StoreView, operator: bytes) -> dict[str, Any] | None:
    """A validator's slashing record (`/signing-info/{operator}`); None when it never signed a block."""
    info = slashing_queries.query_signing_info(store, operator)
    if info is None:
        return None
    signed, counted = compute_uptime(info)
    return {**record_to_json(info), "signed_blocks": signed, "counted_blocks": counted}


def get_delegations(store: StoreView, delegator: bytes) -> list[dict[str, Any]]:
    return [{**record_to_json(d), "tokens": queries.query_delegation_value(store, d)}
            for d in queries.query_delegations(store, delegator)]


def get_unbonding(store: StoreView, delegator: bytes) -> dict[str, Any]:
    return {"unbonding": [record_to_json(u) for u in queries.query_unbonding(store, delegator)],
            "redelegations": [record_to_json(r) for r in queries.query_redelegations(store, delegator)]}
