"""The compiled AkeBridge contract (ABI + bytecode committed beside its Solidity source)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

ARTIFACT_PATH = Path(__file__).parent / "contracts" / "AkeBridge.json"


@functools.cache
def load_artifact() -> dict:
    """`abi`, `bytecode`, `compiler`, `evmVersion`: what `contracts/compile.js` wrote."""
    return json.loads(ARTIFACT_PATH.read_text())
