"""Node home layout and `config.toml`: what an operator edits, with sane defaults.

A home holds config.toml, genesis.json, node_key.json (libp2p identity), the validator's
consensus key and last-signed state, keyring/ (encrypted account keys), data/ (LevelDB) and wal/.
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from consensus.config import Config as ConsensusConfig


# A proposal carries its block in one gossip message (py-libp2p caps those near 1 MiB), and a short
# pause after each commit keeps submit-to-commit latency low.
NODE_CONSENSUS_DEFAULTS = ConsensusConfig(max_block_bytes=768 * 1024, timeout_commit_ms=500)


class ConfigError(ValueError):
    """config.toml is missing, unreadable or holds a bad value."""


# Value bounds of config.toml's integer fields, "section.field": (least, most); every other integer
# field must be non-negative. Checked on start, so a bad value fails naming its field.
MAX_PORT = 65535
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "rpc.port": (1, MAX_PORT),
    "p2p.port": (1, MAX_PORT),
    "mempool.max_txs": (1, 10_000_000),
    "mempool.max_bytes": (1024, 1 << 40),
    "mempool.max_per_sender": (1, 10_000_000),
    "mempool.max_wait_ms": (1, 3_600_000),
    "mempool.max_backlog_ms": (0, 3_600_000),
    "consensus.max_block_bytes": (1024, 64 * 1024 * 1024),
    "consensus.max_wal_bytes_per_height": (1024 * 1024, 1 << 40),
    "consensus.timeout_propose_ms": (1, 600_000),
    "consensus.timeout_prevote_ms": (1, 600_000),
    "consensus.timeout_precommit_ms": (1, 600_000),
}
MAX_INT = 2**63 - 1


@dataclass(slots=True)
class RPCConfig:
    host: str = "127.0.0.1"
    port: int = 26657


@dataclass(slots=True)
class P2PConfig:
    host: str = "127.0.0.1"
    port: int = 26656
    persistent_peers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MempoolConfig:
    max_txs: int = 50_000
    max_bytes: int = 64 * 1024 * 1024
    max_per_sender: int = 1_000
    # Busy while the oldest pending tx has waited longer than this.
    max_wait_ms: int = 2_000
    # Clients are answered busy while more txs are pending than this long of commits at the recent
    # rate (0: no such bound).
    max_backlog_ms: int = 1_000


@dataclass(slots=True)
class Config:
    moniker: str = "node"
    rpc: RPCConfig = field(default_factory=RPCConfig)
    p2p: P2PConfig = field(default_factory=P2PConfig)
    consensus: ConsensusConfig = field(default_factory=lambda: NODE_CONSENSUS_DEFAULTS)
    mempool: MempoolConfig = field(default_factory=MempoolConfig)


@dataclass(frozen=True, slots=True)
class Home:
    """Paths inside a node home directory."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def genesis_file(self) -> Path:
        return self.root / "genesis.json"

    @property
    def node_key_file(self) -> Path:
        return self.root / "node_key.json"

    @property
    def validator_key_file(self) -> Path:
        return self.root / "priv_validator_key.json"

    @property
    def validator_state_file(self) -> Path:
        return self.root / "priv_validator_state.json"

    @property
    def keyring_dir(self) -> Path:
        return self.root / "keyring"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def wal_file(self) -> Path:
        return self.root / "wal" / "consensus.wal"


def _section_from(defaults: Any, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{where}] must be a table")
    unknown = set(raw) - {f.name for f in fields(defaults)}
    if unknown:
        raise ConfigError(f"unknown key(s) in [{where}]: {', '.join(sorted(unknown))}")
    for name, value in raw.items():
        expected = type(getattr(defaults, name))
        if type(value) is not expected:
            raise ConfigError(f"{where}.{name} must be {expected.__name__}, got {value!r}")
    return replace(defaults, **raw)


def load_config(path: Path) -> Config:
    """Read config.toml; unknown keys and wrongly typed values are errors, missing ones default."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} not found: run `akechain init --home {path.parent}` first") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    sections = {"rpc": RPCConfig(), "p2p": P2PConfig(), "consensus": NODE_CONSENSUS_DEFAULTS, "mempool": MempoolConfig()}
    unknown = set(raw) - set(sections) - {"moniker"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s): {', '.join(sorted(unknown))}")
    moniker = raw.get("moniker", "node")
    if not isinstance(moniker, str):
        raise ConfigError(f"{path}: moniker must be a string")
    parts = {name: _section_from(default, raw.get(name, {}), name) for name, default in sections.items()}
    config = Config(moniker=moniker, **parts)
    try:
        validate_config(config)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return config


def validate_config(config: Config) -> None:
    """Values in range, hosts named, peers as multiaddrs with a peer id; raises ConfigError naming the field."""
    if not config.moniker.strip():
        raise ConfigError("moniker must not be empty")
    for section in ("rpc", "p2p", "mempool", "consensus"):
        values = getattr(config, section)
        for item in fields(values):
            value, name = getattr(values, item.name), f"{section}.{item.name}"
            if type(value) is int:
                least, most = INT_BOUNDS.get(name, (0, MAX_INT))
                if not least <= value <= most:
                    raise ConfigError(f"{name} must be {least} to {most}, got {value}")
    for name in ("rpc.host", "p2p.host"):
        section, key = name.split(".")
        if not getattr(getattr(config, section), key).strip():
            raise ConfigError(f"{name} must name an interface, e.g. \"127.0.0.1\"")
    for i, peer in enumerate(config.p2p.persistent_peers):
        if not isinstance(peer, str) or not peer.startswith("/") or "/p2p/" not in peer:
            raise ConfigError(f"p2p.persistent_peers[{i}] must be a multiaddr with a peer id, e.g. "
                              f"/ip4/127.0.0.1/tcp/26656/p2p/12D3Koo..., got {peer!r}")


def save_config(config: Config, path: Path) -> None:
    path.write_text(tomli_w.dumps(asdict(config)))
