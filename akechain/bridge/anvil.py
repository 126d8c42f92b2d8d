"""The local EVM for users and tests: `anvil` from the npm package @foundry-rs/anvil (installed by
`make contracts-tools` beside the pinned compiler), started on 127.0.0.1 only."""
from __future__ import annotations

import subprocess
from pathlib import Path

ANVIL = Path(__file__).parent / "contracts" / "node_modules" / ".bin" / "anvil"


def start_anvil(port: int, block_time: int | None = None) -> subprocess.Popen:
    """An anvil process on 127.0.0.1:`port` (mining on every tx, or every `block_time` seconds)."""
    if not ANVIL.exists():
        raise FileNotFoundError(f"{ANVIL} is missing: run `make contracts-tools` (npm @foundry-rs/anvil)")
    args = [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent"]
    if block_time is not None:
        args += ["--block-time", str(block_time)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
