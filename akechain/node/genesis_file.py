"""genesis.json on disk: written by `init` and `devnet`, loaded (shape-checked) by a starting node."""
from __future__ import annotations

import json
from pathlib import Path

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field


# Optional, with the engine's defaults (consensus.genesis.EvidenceParams): evidence is accepted while
# younger than both; the app's unbonding period must be at least evidence_max_age_ms.
CONSENSUS_PARAMS = {"evidence_max_age_blocks", "evidence_max_age_ms"}


def write_genesis(path: str | Path, genesis: dict) -> None:
    Path(path).write_text(json.dumps(genesis, indent=2, sort_keys=True) + "\n")


def load_genesis(path: str | Path) -> dict:
    try:
        genesis = json.loads(Path(path).read_text())
    except ValueError as exc:
        raise GenesisError(f"{path} is not valid JSON: {exc}") from exc
    check_json_fields(genesis, {"chain_id", "genesis_time_ms", "initial_height", "app_state", "consensus_params"},
                      "genesis")
    get_json_field(genesis, "chain_id", str, "genesis")
    get_json_field(genesis, "genesis_time_ms", int, "genesis")
    get_json_field(genesis, "initial_height", int, "genesis")
    get_json_field(genesis, "app_state", dict, "genesis")
    consensus_params = genesis.get("consensus_params", {})
    if not isinstance(consensus_params, dict):
        raise GenesisError("genesis: consensus_params must be an object")
    check_json_fields(consensus_params, CONSENSUS_PARAMS, "genesis.consensus_params")
    for name in consensus_params:
        if get_json_field(consensus_params, name, int, "genesis.consensus_params") < 1:
            raise GenesisError(f"genesis.consensus_params.{name} must be positive")
    return genesis
