"""Gov genesis.

    {"params": {...see gov/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # an exported chain

A new chain has params only. An export writes every record too (proposals, deposits, votes, queues,
vote delegations, grants, totals), so it re-imports to the same app hash. Without a "gov" section the
chain has default params. A new chain may name a guardian:
`"guardian": {"pub_key": "<hex multisig key>", "powers": ["cancel_proposal", "pause_market_jobs", "pause_bridge"]}`.
"""
from __future__ import annotations

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.multisig import KeyFormatError, compute_account_address, decode_multisig_key
from akechain.chain.modules.gov.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.gov.records import GUARDIAN_KEY, GUARDIAN_POWERS, TABLES, Guardian
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView

FIELDS = {"params", "state", "guardian"}


def init_genesis(store: StoreView, obj: object) -> None:
    params = DEFAULT_PARAMS if obj is None else PARAMS.from_json(get_json_field(obj, "params", dict, "gov"))
    PARAMS.set(store, params)
    if obj is None:
        return
    check_json_fields(obj, FIELDS, "gov")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "gov"), TABLES, "gov.state")
    if "guardian" in obj:  # type: ignore[operator]
        store.set(GUARDIAN_KEY, parse_guardian(get_json_field(obj, "guardian", dict, "gov")))


def parse_guardian(obj: object) -> Guardian:
    """{"pub_key": "<hex multisig key>", "powers": [...]}: the guardian is a k-of-n multisig account."""
    check_json_fields(obj, {"pub_key", "powers"}, "gov.guardian")  # type: ignore[arg-type]
    try:
        key = bytes.fromhex(get_json_field(obj, "pub_key", str, "gov.guardian"))  # type: ignore[arg-type]
        decode_multisig_key(key)
    except (ValueError, KeyFormatError) as exc:
        raise GenesisError(f"gov.guardian.pub_key must be a hex multisig key: {exc}") from exc
    powers = get_json_field(obj, "powers", list, "gov.guardian")
    if any(p not in GUARDIAN_POWERS for p in powers) or len(set(powers)) != len(powers):  # type: ignore[union-attr]
        raise GenesisError(f"gov.guardian.powers must be distinct powers of {', '.join(GUARDIAN_POWERS)}")
    return Guardian(compute_account_address(key), tuple(sorted(powers)), (), False)  # type: ignore[arg-type]


def export_genesis(store: StoreView) -> dict:
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": export_state_rows(store, TABLES)}
