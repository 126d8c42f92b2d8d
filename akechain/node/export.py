"""`akechain export`: a stopped node's committed state as the genesis of a new chain that continues
it. The state at the last committed height H becomes `app_state`, the new chain starts at
`initial_height` H + 1 at H's block time, and every record that holds a height or a time (lease and
escrow heights, unbonding completions, jails, proposals' ends, grants' end heights, bridge timeouts)
is kept as it is: the imported chain's heights and clock go on from where the old one stopped, so
nothing is rebased. A plan pending in the upgrade module is kept too (it halts the new chain alike)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from akechain.chain.app import App
from akechain.chain.registry import Registry
from akechain.node.config import Home
from akechain.node.genesis_file import load_genesis
from consensus.types import Block
from state.blockstore import BlockStore
from state.codec import decode
from state.kv import LevelKV
from state.store import CommitStore


class ExportError(Exception):
    """The home has nothing to export, or its databases are in use (stop the node first)."""


def export_genesis(home_path: Path, registry: Registry, chain_id: str | None = None) -> dict[str, Any]:
    """The genesis document of the chain that continues the home's; `chain_id` renames it."""
    home = Home(home_path)
    genesis = load_genesis(home.genesis_file)
    try:
        state_kv, blocks_kv = LevelKV(home.data_dir / "state.db"), LevelKV(home.data_dir / "blockstore.db")
    except Exception as exc:  # plyvel raises IOError subclasses for a lock held by the running node
        raise ExportError(f"cannot open the databases under {home.data_dir} (stop the node first): {exc}") from exc
    try:
        app = App(CommitStore(state_kv), registry)
        height = app.info().last_height
        if height == 0:
            raise ExportError(f"{home_path} has committed no block yet: its genesis is {home.genesis_file}")
        raw = BlockStore(blocks_kv, genesis["initial_height"]).block(height)
        if raw is None:
            raise ExportError(f"the block store lacks block {height}, the last committed one")
        block_time_ms = decode(Block, raw, max_size=len(raw)).header.time_ms
        doc: dict[str, Any] = {
            "chain_id": chain_id or genesis["chain_id"],
            "genesis_time_ms": block_time_ms,
            "initial_height": height + 1,
            "app_state": app.export_app_state(),
        }
        if "consensus_params" in genesis:
            doc["consensus_params"] = genesis["consensus_params"]
        return doc
    finally:
        state_kv.close()
        blocks_kv.close()
