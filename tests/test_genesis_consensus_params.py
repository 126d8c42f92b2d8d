"""genesis.json's optional consensus_params set the evidence max age every node agrees on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from akechain.chain.codec import GenesisError
from akechain.node.genesis_file import load_genesis
from akechain.node.node import consensus_genesis
from consensus.genesis import EvidenceParams

BASE = {"chain_id": "ake-test", "genesis_time_ms": 1, "initial_height": 1, "app_state": {}}


def load(tmp_path: Path, **extra: object) -> dict:
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps({**BASE, **extra}))
    return load_genesis(path)


def test_evidence_max_age_comes_from_genesis_or_defaults(tmp_path: Path) -> None:
    assert consensus_genesis(load(tmp_path)).evidence == EvidenceParams()
    params = {"evidence_max_age_blocks": 50, "evidence_max_age_ms": 60_000}
    assert consensus_genesis(load(tmp_path, consensus_params=params)).evidence == EvidenceParams(50, 60_000)


@pytest.mark.parametrize("params", [
    {"evidence_max_age_blocks": 0},
    {"evidence_max_age_ms": -1},
    {"evidence_max_age_ms": "1000"},
    {"evidence_max_age_days": 2},
    [],
])
def test_bad_consensus_params_are_genesis_errors(tmp_path: Path, params: object) -> None:
    with pytest.raises(GenesisError):
        load(tmp_path, consensus_params=params)
