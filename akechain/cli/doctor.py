"""`akechain doctor --home DIR`: check a node home and say what is wrong and how to fix it.

Each check reads the home (and the node's own HTTP API when it is serving) and never changes
anything: config.toml, genesis.json (it loads and its app state initialises), the validator key and
its last-signed state, the keyring (decrypting every key when given the passphrase), the RPC and
p2p ports (free, or serving this node), free disk space, the persistent peers (a TCP connect to
each, with a short timeout), and the clock against the node's last block time.
"""
from __future__ import annotations

import hashlib
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import click

from akechain.cli.common import echo_json, home_option, passphrase_option, read_passphrase

MIN_FREE_BYTES = 1 << 30
PEER_CONNECT_SECONDS = 2.0
MAX_CLOCK_SKEW_MS = 30_000
STALE_BLOCK_MS = 60_000


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail, "fix": self.fix}


class Problem(Exception):
    """A failed check: what is wrong, and how to fix it."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.fix = fix


def run_check(name: str, check: Callable[[], str]) -> Finding:
    try:
        return Finding(name, True, check())
    except Problem as problem:
        return Finding(name, False, str(problem), problem.fix)


class Doctor:
    def __init__(self, home: Path, passphrase: str | None) -> None:
        from akechain.node.config import Home

        self.home = Home(home)
        self.passphrase = passphrase
        self.config: Any = None
        self.genesis: dict[str, Any] | None = None
        self.status: dict[str, Any] | None = None

    def run(self) -> list[Finding]:
        checks = [("config", self.check_config), ("genesis", self.check_genesis), ("node", self.check_node),
                  ("validator key", self.check_validator_key), ("keyring", self.check_keyring),
                  ("ports", self.check_ports), ("disk", self.check_disk), ("peers", self.check_peers),
                  ("clock", self.check_clock)]
        return [run_check(name, check) for name, check in checks]

    def check_config(self) -> str:
        from akechain.node.config import ConfigError, load_config

        try:
            self.config = load_config(self.home.config_file)
        except ConfigError as exc:
            raise Problem(str(exc), "edit config.toml: the message names the field") from None
        return f"moniker {self.config.moniker!r}, rpc {self.config.rpc.host}:{self.config.rpc.port}, " \
               f"p2p {self.config.p2p.host}:{self.config.p2p.port}"

    def check_genesis(self) -> str:
        from akechain.chain.app import App
        from akechain.chain.codec import AppError, GenesisError
        from akechain.chain.genesis import encode_app_state
        from akechain.node.genesis_file import load_genesis
        from akechain.node.node import consensus_genesis
        from consensus.abci import GenesisRequest
        from state.kv import MemoryKV
        from state.store import CommitStore

        path = self.home.genesis_file
        if not path.exists():
            raise Problem(f"{path} not found", f"copy the chain's genesis.json into {self.home.root} "
                                               f"(or `akechain init` a new chain)")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            genesis = load_genesis(path)
            engine = consensus_genesis(genesis)
            app = App(CommitStore(MemoryKV()))
            response = app.init_chain(GenesisRequest(genesis["chain_id"], genesis["genesis_time_ms"],
                                                     genesis["initial_height"], encode_app_state(genesis["app_state"]),
                                                     engine.validators))
        except (AppError, GenesisError, ValueError, KeyError) as exc:
            raise Problem(f"genesis.json (sha256 {digest}) does not initialise: {exc}",
                          "get the chain's published genesis.json and compare its sha256") from None
        self.genesis = genesis
        return (f"chain {genesis['chain_id']!r}, sha256 {digest}, {len(response.validators)} genesis validators "
                f"(compare the sha256 with the chain's published one)")

    def check_node(self) -> str:
        from akechain.client.http import NodeClient, NodeClientError

        if self.config is None:
            return "skipped: no valid config"
        url = f"http://{self.config.rpc.host}:{self.config.rpc.port}"
        try:
            with NodeClient(url, timeout=3) as client:
                self.status = client.status()
        except NodeClientError:
            return f"not running (nothing answers at {url})"
        if self.genesis is not None and self.status.get("chain_id") != self.genesis["chain_id"]:
            raise Problem(f"{url} serves chain {self.status.get('chain_id')!r}, genesis.json is for "
                          f"{self.genesis['chain_id']!r}", "another node owns this port: stop it or change rpc.port")
        return f"serving at {url}: height {self.status['height']}, {self.status['peers']} peers"

    def check_validator_key(self) -> str:
        from consensus.privval import FilePV, PrivValError

        key_file, state_file = self.home.validator_key_file, self.home.validator_state_file
        if not key_file.exists():
            return "none (a full node, not a validator)"
        try:
            signer = FilePV.load(key_file, state_file)
        except (PrivValError, ValueError, KeyError, OSError) as exc:
            raise Problem(f"{key_file.name}: {exc}", "restore priv_validator_key.json and priv_validator_state.json "
                                                     "from your backup; never start a copy of a validator twice") from None
        last = signer.last
        return f"address {signer.address.hex()}, last signed height {last.height} round {last.round}"

    def check_keyring(self) -> str:
        from akechain.client.keystore import Keystore, KeystoreError, NoPrivateKeyError

        store = Keystore(self.home.keyring_dir)
        try:
            keys = store.list()
        except KeystoreError as exc:
            raise Problem(str(exc), "restore the key file from a backup, or `keys add --recover` it from its phrase") from None
        if self.passphrase is None:
            return f"{len(keys)} keys readable (pass --passphrase-file to check that they decrypt)"
        failed = []
        for info in keys:
            try:
                store.load(info.name, self.passphrase)
            except NoPrivateKeyError:
                continue
            except KeystoreError as exc:
                failed.append(f"{info.name}: {exc}")
        if failed:
            raise Problem("; ".join(failed), "use the key's own passphrase, or restore it with `keys add --recover`")
        return f"{len(keys)} keys decrypt"

    def check_ports(self) -> str:
        if self.config is None:
            return "skipped: no valid config"
        busy = [f"{name} {host}:{port}" for name, host, port in
                (("rpc", self.config.rpc.host, self.config.rpc.port), ("p2p", self.config.p2p.host, self.config.p2p.port))
                if not is_port_free(host, port)]
        if busy and self.status is None:
            raise Problem(f"in use by another program: {', '.join(busy)}",
                          "stop that program, or change rpc.port / p2p.port in config.toml")
        return "serving this node" if busy else "free"

    def check_disk(self) -> str:
        free = shutil.disk_usage(self.home.root).free
        if free < MIN_FREE_BYTES:
            raise Problem(f"{free >> 20} MiB free under {self.home.root}", "free disk space: the node stops when a write fails")
        return f"{free >> 30} GiB free"

    def check_peers(self) -> str:
        if self.config is None or not self.config.p2p.persistent_peers:
            return "no persistent peers configured"
        unreachable = [peer for peer in self.config.p2p.persistent_peers if not is_peer_reachable(peer)]
        if unreachable:
            raise Problem(f"no TCP answer from {', '.join(unreachable)}",
                          "check the peer is up, its address in p2p.persistent_peers, and firewalls")
        return f"{len(self.config.p2p.persistent_peers)} reachable"

    def check_clock(self) -> str:
        now_ms = int(time.time() * 1000)
        if self.status is None or not self.status.get("block_time"):
            return "no running node to compare with (its last block time)"
        skew = self.status["block_time"] - now_ms
        if skew > MAX_CLOCK_SKEW_MS:
            raise Problem(f"the last block is {skew / 1000:.1f} s in this machine's future",
                          "this clock is behind: enable NTP (timedatectl set-ntp true)")
        if -skew > STALE_BLOCK_MS:
            return f"last block {-skew / 1000:.0f} s ago: the chain is halted or this node is not synced"
        return f"within {abs(skew) / 1000:.1f} s of the last block"


def is_port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def is_peer_reachable(multiaddr: str) -> bool:
    """A TCP connect to /ip4/HOST/tcp/PORT/... (or /dns4/...) within PEER_CONNECT_SECONDS."""
    parts = multiaddr.strip("/").split("/")
    try:
        host, port = parts[1], int(parts[parts.index("tcp") + 1])
    except (IndexError, ValueError):
        return False
    try:
        with socket.create_connection((host, port), timeout=PEER_CONNECT_SECONDS):
            return True
    except OSError:
        return False


@click.command()
@home_option
@passphrase_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor(home: Path, passphrase_file: Path | None, as_json: bool) -> None:
    """Check a node home: config, genesis, keys, ports, disk, peers, clock; exit 1 if anything is wrong."""
    passphrase = read_passphrase(passphrase_file) if passphrase_file is not None else None
    findings = Doctor(home, passphrase).run()
    if as_json:
        echo_json([f.to_json() for f in findings])
    else:
        for f in findings:
            click.echo(f"{'ok  ' if f.ok else 'FAIL'} {f.check}: {f.detail}")
            if f.fix:
                click.echo(f"     fix: {f.fix}")
    if not all(f.ok for f in findings):
        raise SystemExit(1)
