"""JSON views of staking records for the HTTP API: operators and delegators bech32, consensus keys
hex, statuses named. The `/validators` contract: `operator`, `consensus_pub_key`, `tokens`,
`power`, `status` ("bonded", "unbonding", "unbonded"), `jailed`, `tombstoned`, and the rest of the record."""
from __future__ import annotations

from typing import Any

from akechain.chain.modules.staking import queries
from akechain.chain.modules.staking.records import STATUS_NAMES
from akechain.chain.store import StoreView
from akechain.node.rpc.render import record_to_json


def validator_json(view: queries.ValidatorView) -> dict[str, Any]:
    doc = record_to_json(view.validator)
    doc["status"] = STATUS_NAMES[view.validator.status]
    doc["power"] = view.power
    return doc


def get_validators(store: StoreView) -> list[dict[str, Any]]:
    return [validator_json(view) for view in queries.query_validators(store)]


def get_validator(store: StoreView, operator: bytes) -> dict[str, Any] | None:
    view = queries.query_validator(store, operator)
    return None if view is None else validator_json(view)


def get_delegations(store: StoreView, delegator: bytes) -> list[dict[str, Any]]:
    return [{**record_to_json(d), "tokens": queries.query_delegation_value(store, d)}
            for d in queries.query_delegations(store, delegator)]


def get_unbonding(store: StoreView, delegator: bytes) -> dict[str, Any]:
    return {"unbonding": [record_to_json(u) for u in queries.query_unbonding(store, delegator)],
            "redelegations": [record_to_json(r) for r in queries.query_redelegations(store, delegator)]}
