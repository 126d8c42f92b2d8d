"""Node identity: the libp2p key pair and peer id derived from a node key seed (stable across restarts).

The node key file is `{"seed": "<64 hex chars>"}` (what `akechain init` writes as HOME/node_key.json).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.keys import KeyPair
from libp2p.peer.id import ID

SEED_SIZE = 32


class NodeKeyError(ValueError):
    """A node key seed or file that cannot give a libp2p identity."""


def key_pair_from_seed(seed: bytes) -> KeyPair:
    """Same 32-byte seed -> same ed25519 key (py-libp2p 0.8.1; an empty seed would be random)."""
    if len(seed) != SEED_SIZE:
        raise NodeKeyError(f"a node key seed is {SEED_SIZE} bytes, got {len(seed)}")
    return create_new_key_pair(seed)


def peer_id_from_seed(seed: bytes) -> str:
    return ID.from_pubkey(key_pair_from_seed(seed).public_key).to_base58()


def load_or_create_node_key(path: Path) -> bytes:
    """The seed in `path`, written first (owner-only) with a fresh random seed if the file is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"seed": os.urandom(SEED_SIZE).hex()}, out)
    try:
        seed = bytes.fromhex(json.loads(path.read_text())["seed"])
    except (ValueError, KeyError, TypeError) as exc:
        raise NodeKeyError(f"{path} is not a node key file ({{\"seed\": hex}}): {exc}") from exc
    key_pair_from_seed(seed)  # Verify the length now rather than at start-up.
    return seed
