"""`akechain devnet`: N validator homes with one shared genesis, started as local processes.

Layout of DIR: `passphrase` (unlocks every devnet key, so scripts run unattended), `keyring/`
(the funded `faucet` key and the funded `verifier` and `verifier2` keys, the market's verifiers
unless `--market-params` names some), `node0` … `nodeN-1` (ordinary homes: `akechain start --home
DIR/nodeI` restarts one by hand) and, once started, `devnet.json` describing the running nodes.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import httpx

from akechain.node.config import Home, load_config, save_config
from akechain.chain.crypto import parse_address
from akechain.chain.genesis import apply_param_changes, build_gentx, build_genesis
from akechain.chain.modules.gov.records import GUARDIAN_POWERS
from akechain.chain.multisig import compute_account_address
from akechain.node.genesis_file import write_genesis
from akechain.node.home import SELF_DELEGATION, create_node_files
from akechain.client.keystore import Keystore
from akechain.cli.processes import stop_all
from akechain.chain.modules.market.params import DEFAULT_PARAMS as DEFAULT_MARKET_PARAMS
from akechain.chain.modules.market.params import Params as MarketParams
from akechain.chain.modules.market.params import PARAMS as MARKET_PARAMS
from consensus.types import address_of
from p2p.identity import peer_id_from_seed

FAUCET_KEY = "faucet"
FAUCET_BALANCE = 10**15  # 1e9 AKE in uake
VALIDATOR_BALANCE = 10**12
OPERATOR_KEY = "validator"  # each node's operator account, in its own keyring; it bonds SELF_DELEGATION at genesis
# Two verifiers: a challenge's referee is drawn excluding the challenger, so a spot-check verifier
# that challenges needs another verifier to judge it.
VERIFIER_KEYS = ("verifier", "verifier2")
VERIFIER_BALANCE = 10**12
DEVNET_FILE = "devnet.json"
PASSPHRASE_FILE = "passphrase"
# A node stops in about a second on SIGTERM; one still running after this is killed (its WAL makes that safe).
STOP_GRACE = 4.0


class DevnetError(Exception):
    """A devnet that cannot be created, started or stopped as asked."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    name: str
    home: Path
    rpc_port: int
    p2p_port: int
    peer_id: str

    @property
    def rpc(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def p2p(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.p2p_port}/p2p/{self.peer_id}"


def node_specs(root: Path) -> list[NodeSpec]:
    """The nodes of an existing devnet, with ports from their config and peer ids from their node keys."""
    specs = []
    i = 0
    while (home := Home(root / f"node{i}")).config_file.exists():
        config = load_config(home.config_file)
        seed = bytes.fromhex(json.loads(home.node_key_file.read_text())["seed"])
        specs.append(NodeSpec(f"node{i}", home.root, config.rpc.port, config.p2p.port, peer_id_from_seed(seed)))
        i += 1
    if not specs:
        raise DevnetError(f"{root} holds no devnet nodes (node0/config.toml is missing)")
    return specs


def load_market_params(path: Path) -> MarketParams:
    """Genesis market params: the defaults with the fields of a JSON object in `path` replaced
    (e.g. `{"challenge_window_blocks": 2}` for a devnet whose jobs settle within seconds)."""
    try:
        overrides = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DevnetError(f"cannot read market params {path}: {exc}") from exc
    if not isinstance(overrides, dict):
        raise DevnetError(f"{path} must hold a JSON object of market params")
    try:
        return MARKET_PARAMS.from_json({**MARKET_PARAMS.to_json(DEFAULT_MARKET_PARAMS), **overrides})
    except ValueError as exc:
        raise DevnetError(f"{path}: {exc}") from exc


def load_param_changes(path: Path) -> dict:
    """{module: {param: value}} from a JSON file, e.g. `{"staking": {"unbonding_time_ms": 20000}}`."""
    try:
        changes = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DevnetError(f"cannot read params {path}: {exc}") from exc
    if not isinstance(changes, dict):
        raise DevnetError(f"{path} must hold a JSON object {{module: {{param: value}}}}")
    return changes


def create_devnet(root: Path, validators: int, base_port: int, chain_id: str,
                  market_params: MarketParams = DEFAULT_MARKET_PARAMS,
                  param_changes: Mapping[str, object] | None = None, guardian_key: bytes | None = None) -> list[NodeSpec]:
    """Write every home (node I: RPC on base+2I, p2p on base+2I+1), the shared genesis, the faucet
    key and the verifier keys (the market's `verifiers` if the params name none); `param_changes`
    ({module: {param: value}}) go over any module's genesis params; `guardian_key` (a k-of-n multisig
    key) becomes gov's guardian with every power, its account funded. Refuses to overwrite an
    existing devnet."""
    if validators < 1:
        raise DevnetError("a devnet needs at least one validator")
    if (root / PASSPHRASE_FILE).exists():
        raise DevnetError(f"{root} already holds a devnet; start it with `akechain devnet --home {root}` "
                          f"after `akechain devnet stop`, or choose another --home")
    root.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_hex(16)
    fd = os.open(root / PASSPHRASE_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(passphrase + "\n")
    signers = []
    for i in range(validators):
        home = Home(root / f"node{i}")
        signers.append(create_node_files(home, f"node{i}", base_port + 2 * i, base_port + 2 * i + 1))
    specs = node_specs(root)
    keystore = Keystore(root / "keyring")
    faucet = keystore.add(FAUCET_KEY, passphrase)
    accounts = {parse_address(faucet.address): FAUCET_BALANCE}
    verifiers = [parse_address(keystore.add(name, passphrase).address) for name in VERIFIER_KEYS]
    accounts.update((verifier, VERIFIER_BALANCE) for verifier in verifiers)
    if not market_params.verifiers:
        market_params = replace(market_params, verifiers=tuple(sorted(verifiers)))
    if guardian_key is not None:
        accounts[compute_account_address(guardian_key)] = VERIFIER_BALANCE
    gentxs = []
    for spec, signer in zip(specs, signers):
        operator_keys = Keystore(Home(spec.home).keyring_dir)
        operator = operator_keys.add(OPERATOR_KEY, passphrase)
        accounts[parse_address(operator.address)] = VALIDATOR_BALANCE
        gentxs.append(build_gentx(operator_keys.load(OPERATOR_KEY, passphrase), chain_id, signer.pub_key, spec.name,
                                  SELF_DELEGATION))
    genesis = build_genesis(
        chain_id,
        gentxs=gentxs,
        accounts=accounts,
        genesis_time_ms=time.time_ns() // 1_000_000,
        market_params=market_params,
    )
    try:
        genesis["app_state"] = apply_param_changes(genesis["app_state"], param_changes or {})
    except ValueError as exc:
        raise DevnetError(f"--params: {exc}") from exc
    if guardian_key is not None:
        genesis["app_state"]["gov"]["guardian"] = {"pub_key": guardian_key.hex(), "powers": list(GUARDIAN_POWERS)}
    for spec in specs:
        write_genesis(Home(spec.home).genesis_file, genesis)
        set_persistent_peers(Home(spec.home), [other.p2p for other in specs if other is not spec])
    return specs


def set_persistent_peers(home: Home, peers: list[str]) -> None:
    config = load_config(home.config_file)
    config.p2p.persistent_peers = peers
    save_config(config, home.config_file)


def start_node(spec: NodeSpec) -> subprocess.Popen[bytes]:
    log = open(spec.home / "node.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "akechain.cli", "start", "--home", str(spec.home)],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
    )


def wait_until_serving(specs: list[NodeSpec], procs: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    pending = list(zip(specs, procs))
    while pending:
        spec, proc = pending[0]
        if proc.poll() is not None:
            raise DevnetError(f"{spec.name} exited with {proc.returncode}; see {spec.home / 'node.log'}")
        try:
            httpx.get(f"{spec.rpc}/status", timeout=1).raise_for_status()
            pending.pop(0)
            continue
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise DevnetError(f"{spec.name} did not answer on {spec.rpc} within {timeout:.0f}s")
        time.sleep(0.2)


def devnet_doc(root: Path, chain_id: str, specs: list[NodeSpec], procs: list[subprocess.Popen[bytes]]) -> dict[str, Any]:
    keystore = Keystore(root / "keyring")
    faucet = keystore.show(FAUCET_KEY)
    keys = {info.name: info.address for info in keystore.list()}
    verifiers = [{"key": name, "address": keys[name]} for name in VERIFIER_KEYS if name in keys]
    doc = {
        "chain_id": chain_id,
        "nodes": [
            {"name": s.name, "home": str(s.home), "pid": p.pid, "rpc": s.rpc, "p2p": s.p2p}
            for s, p in zip(specs, procs)
        ],
        "validators": list_validators(specs),
        "faucet": {"key": FAUCET_KEY, "address": faucet.address},
        "passphrase_file": str(root / PASSPHRASE_FILE),
        "keyring": str(root / "keyring"),
    }
    if verifiers:  # devnets created before verifier keys existed have none
        doc.update(verifier=verifiers[0], verifiers=verifiers)
    return doc


def list_validators(specs: list[NodeSpec]) -> list[dict[str, Any]]:
    """Each node's genesis validator: its operator account and what its gentx bonded."""
    validators = []
    for spec in specs:
        home = Home(spec.home)
        operator = Keystore(home.keyring_dir).show(OPERATOR_KEY)
        consensus_pub_key = json.loads(home.validator_key_file.read_text())["pub_key"]
        validators.append({"node": spec.name, "operator": operator.address, "key": OPERATOR_KEY,
                           "consensus_pub_key": consensus_pub_key, "self_delegation": SELF_DELEGATION})
    return validators


def stop_devnet(root: Path, grace: float = STOP_GRACE) -> list[str]:
    """SIGTERM every node in DIR/devnet.json at once and wait for all (SIGKILL after `grace` s);
    returns the names of the nodes that were running."""
    path = root / DEVNET_FILE
    if not path.exists():
        raise DevnetError(f"no {DEVNET_FILE} in {root}: nothing to stop")
    doc = json.loads(path.read_text())
    nodes = doc["nodes"]
    bridge = doc.get("bridge", {})
    stop_all(bridge.get("orchestrator_pids", []) + ([bridge["anvil_pid"]] if bridge else []), grace)
    stopped = stop_all([node["pid"] for node in nodes], grace)
    path.unlink()
    return [node["name"] for node in nodes if node["pid"] in stopped]


def node_row(spec: NodeSpec) -> dict[str, Any]:
    try:
        status = httpx.get(f"{spec.rpc}/status", timeout=1).json()
    except (httpx.HTTPError, ValueError):
        return {"name": spec.name, "up": False}
    return {"name": spec.name, "up": True, **status}


def fetch_uptimes(specs: list[NodeSpec]) -> dict[str, float]:
    """Each active validator's uptime over the signing window by consensus address (hex), as the
    first node that answers `/validators` sees it."""
    for spec in specs:
        try:
            validators = httpx.get(f"{spec.rpc}/validators", timeout=1).json()
        except (httpx.HTTPError, ValueError):
            continue
        return {address_of(bytes.fromhex(v["consensus_pub_key"])).hex(): v["uptime"]
                for v in validators if v.get("uptime") is not None}
    return {}


def run_devnet(root: Path, *, validators: int, base_port: int, chain_id: str, detach: bool,
               market_params: Path | None = None, params: Path | None = None, bridge: bool = False,
               guardian_key: bytes | None = None) -> None:
    """Create DIR if new, start every node (with `bridge`: anvil, the contract and an orchestrator per
    validator beside them, on a new devnet only), then either return (detach) or watch until Ctrl-C."""
    if (root / DEVNET_FILE).exists():
        raise DevnetError(f"{root / DEVNET_FILE} exists: the devnet may be running; `akechain devnet stop --home {root}` first")
    if (root / PASSPHRASE_FILE).exists():
        if market_params is not None or params is not None or bridge or guardian_key is not None:
            raise DevnetError(f"{root} already holds a devnet: --market-params, --params, --bridge and --guardian "
                              "apply only when creating one")
        specs = node_specs(root)
    else:
        market = DEFAULT_MARKET_PARAMS if market_params is None else load_market_params(market_params)
        changes = {} if params is None else load_param_changes(params)
        specs = create_devnet(root, validators, base_port, chain_id, market, changes, guardian_key)
    chain_id = json.loads(Home(specs[0].home).genesis_file.read_text())["chain_id"]
    procs = [start_node(spec) for spec in specs]
    try:
        wait_until_serving(specs, procs)
    except BaseException:
        stop_all([proc.pid for proc in procs], STOP_GRACE)
        raise
    doc = devnet_doc(root, chain_id, specs, procs)
    if bridge:
        from akechain.cli.devnet_bridge import BridgeSetupError, start_bridge

        try:
            doc["bridge"] = start_bridge([s.home for s in specs], [s.rpc for s in specs], root / PASSPHRASE_FILE,
                                         base_port + 2 * len(specs), OPERATOR_KEY)
        except (BridgeSetupError, OSError) as exc:
            stop_all([proc.pid for proc in procs], STOP_GRACE)
            raise DevnetError(f"--bridge: {exc}") from exc
    (root / DEVNET_FILE).write_text(json.dumps(doc, indent=2) + "\n")
    if detach:
        print(json.dumps(doc, indent=2))
        return
    try:
        watch(specs, procs)
    except KeyboardInterrupt:
        pass
    finally:
        stop_devnet(root)


def devnet_table(specs: list[NodeSpec], processes: list[tuple[int, bool]]) -> Any:
    """The devnet's rich Table: a row per node (`processes`: its pid and whether it exited)."""
    from rich.table import Table

    grid = Table(title="akechain devnet (Ctrl-C stops every node)")
    columns = ("node", "pid", "height", "round", "peers", "mempool", "power", "uptime", "last block time", "app hash")
    for column in columns:
        grid.add_column(column)
    uptimes = fetch_uptimes(specs)
    for spec, (pid, exited) in zip(specs, processes):
        row = node_row(spec)
        if not row["up"]:
            grid.add_row(spec.name, str(pid), "exited" if exited else "down", *[""] * (len(columns) - 3))
            continue
        block_time = time.strftime("%H:%M:%S", time.localtime(row["block_time"] / 1000)) if row["block_time"] else "-"
        uptime = uptimes.get(row.get("validator_address") or "")
        grid.add_row(spec.name, str(pid), str(row["height"]), str(row["round"]), str(row.get("peers", "-")),
                     str(row["mempool_size"]), str(row.get("voting_power", 0)),
                     "-" if uptime is None else f"{100 * uptime:.0f} %", block_time, row["app_hash"][:12])
    return grid


def watch(specs: list[NodeSpec], procs: list[subprocess.Popen[bytes]]) -> None:
    """A live table of every node until Ctrl-C."""
    from rich.console import Console
    from rich.live import Live

    def table() -> Any:
        return devnet_table(specs, [(proc.pid, proc.poll() is not None) for proc in procs])

    console = Console()
    console.print(f"nodes: {', '.join(s.rpc for s in specs)}   logs: {specs[0].home.parent}/node*/node.log")
    for validator in list_validators(specs):
        console.print(f"validator {validator['node']}: operator {validator['operator']} bonded "
                      f"{validator['self_delegation']} uake, consensus key {validator['consensus_pub_key'][:16]}…")
    with Live(table(), console=console, refresh_per_second=2) as live:
        while True:
            time.sleep(1)
            live.update(table())
