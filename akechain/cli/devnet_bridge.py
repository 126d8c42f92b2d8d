"""`akechain devnet --bridge`: anvil on 127.0.0.1 beside the devnet, every validator's EVM key
registered, AkeBridge deployed with the chain's valset 0, and one orchestrator (`akechain bridge
run`, which also relays) per validator, each logging to its node's bridge.log. Anvil keeps no state
across runs, so the bridge is set up only when the devnet is created."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import httpx

from akechain.bridge.anvil import start_anvil
from akechain.cli.bridge_agent import BRIDGE_FILE
from akechain.cli.processes import stop_all

AKECHAIN = [sys.executable, "-m", "akechain.cli"]
SETUP_TIMEOUT = 60.0


class BridgeSetupError(RuntimeError):
    pass


def run_cli(*args: str) -> dict[str, Any]:
    result = subprocess.run([*AKECHAIN, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise BridgeSetupError(f"akechain {' '.join(args[:3])} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)


def wait_for_valset(rpc: str) -> None:
    deadline = time.monotonic() + SETUP_TIMEOUT
    while not httpx.get(f"{rpc}/bridge/valsets", timeout=5).json():
        if time.monotonic() > deadline:
            raise BridgeSetupError("the chain made no valset 0 after every validator registered its EVM key")
        time.sleep(0.5)


def start_bridge(homes: Sequence[Path], rpcs: Sequence[str], passphrase_file: Path, evm_port: int,
                 operator_key: str) -> dict[str, Any]:
    """Set the bridge up on a running devnet; returns devnet.json's `bridge` section (with the pids to stop)."""
    anvil = start_anvil(evm_port)
    evm_rpc = f"http://127.0.0.1:{evm_port}"
    pids = [anvil.pid]
    try:
        for home, rpc in zip(homes, rpcs):
            signer = ["--home", str(home), "--node", rpc, "--passphrase-file", str(passphrase_file)]
            answer = run_cli("tx", "bridge", "register-evm-key", "--key", operator_key, *signer)
            if answer.get("code") != 0:
                raise BridgeSetupError(f"registering {home.name}'s EVM key failed: {answer}")
        wait_for_valset(rpcs[0])
        deployed = run_cli("bridge", "deploy", "--evm-rpc", evm_rpc, "--fund", "--home", str(homes[0]), "--node", rpcs[0],
                           "--passphrase-file", str(passphrase_file))
        for home, rpc in zip(homes, rpcs):
            (home / BRIDGE_FILE).write_text(json.dumps(deployed, indent=2) + "\n")
            log = open(home / "bridge.log", "ab")
            pids.append(subprocess.Popen(
                [*AKECHAIN, "bridge", "run", "--home", str(home), "--node", rpc, "--evm-rpc", evm_rpc, "--fund",
                 "--key", operator_key, "--passphrase-file", str(passphrase_file)],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True).pid)
    except BaseException:
        stop_all(pids, 4.0)
        raise
    return {"evm_rpc": evm_rpc, "contract": deployed["contract"], "anvil_pid": anvil.pid,
            "orchestrator_pids": pids[1:]}
