"""Staking genesis.

    {"params": {...see staking/params.py...},
     "gentxs": ["<hex signed tx>", ...],                 # a new chain: each operator's create-validator
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # an exported chain

A new chain's validators come only from gentxs (as Cosmos' genutil): txs signed by each operator,
carrying its MsgCreateValidator (the self-delegation) and run through the ordinary tx pipeline
(chain id, signature, nonce, fee) after every module's genesis, so the operators' accounts must be
funded in the bank section. The consensus genesis set is then the active set they make, never a
second list. An export writes the records instead (and no gentxs), so it re-imports to the same
app hash. Without a "staking" section the chain has default params and no validators.
"""
from __future__ import annotations

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.modules.staking.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.staking.records import TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView

FIELDS = {"params", "gentxs", "state"}


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        PARAMS.set(store, DEFAULT_PARAMS)
        return
    PARAMS.set(store, PARAMS.from_json(get_json_field(obj, "params", dict, "staking")))
    check_json_fields(obj, FIELDS, "staking")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "staking"), TABLES, "staking.state")


def get_gentxs(obj: object) -> tuple[bytes, ...]:
    """The section's signed txs, for the app to run after every module's genesis."""
    if obj is None or "gentxs" not in obj:  # type: ignore[operator]
        return ()
    txs = []
    for i, text in enumerate(get_json_field(obj, "gentxs", list, "staking")):  # type: ignore[arg-type]
        try:
            txs.append(bytes.fromhex(text))
        except (TypeError, ValueError) as exc:
            raise GenesisError(f"staking.gentxs[{i}] is not a hex tx: {exc}") from exc
    return tuple(txs)


def export_genesis(store: StoreView) -> dict:
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": export_state_rows(store, TABLES)}
