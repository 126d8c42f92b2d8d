"""genesis.json on disk: written by `init` and `devnet`, loaded (shape-checked) by a starting node."""
from __future__ import annotations

import json
from pathlib import Path

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field


def write_genesis(path: str | Path, genesis: dict) -> None:
    Path(path).write_text(json.dumps(genesis, indent=2, sort_keys=True) + "\n")


def load_genesis(path: str | Path) -> dict:
    try:
        genesis = json.loads(Path(path).read_text())
    except ValueError as exc:
        raise GenesisError(f"{path} is not valid JSON: {exc}") from exc
    check_json_fields(genesis, {"chain_id", "genesis_time_ms", "initial_height", "app_state"}, "genesis")
    get_json_field(genesis, "chain_id", str, "genesis")
    get_json_field(genesis, "genesis_time_ms", int, "genesis")
    get_json_field(genesis, "initial_height", int, "genesis")
    get_json_field(genesis, "app_state", dict, "genesis")
    return genesis
