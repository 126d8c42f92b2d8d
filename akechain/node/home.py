"""`akechain init`: lay out a new node home with keys, config and a genesis that funds its operator."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nacl.signing

from akechain.chain.crypto import parse_address
from akechain.node.config import Config, Home, P2PConfig, RPCConfig, save_config
from akechain.chain.genesis import build_gentx, build_genesis
from akechain.chain.modules.auth.params import DEFAULT_PARAMS as DEFAULT_AUTH_PARAMS
from akechain.chain.modules.staking.params import DEFAULT_PARAMS as DEFAULT_STAKING_PARAMS
from akechain.chain.tx import decode_tx
from akechain.node.genesis_file import write_genesis
from akechain.client.keystore import Keystore
from consensus.privval import FilePV
from p2p.identity import load_or_create_node_key

DEFAULT_VALIDATOR_POWER = 10
# what an operator bonds at genesis (its gentx): DEFAULT_VALIDATOR_POWER units of consensus power
SELF_DELEGATION = DEFAULT_VALIDATOR_POWER * DEFAULT_STAKING_PARAMS.power_reduction


class HomeExistsError(Exception):
    """Refuse to overwrite a home: its keys may guard funds or a validator's signing history."""


class InitError(ValueError):
    """A home that would not start (e.g. an operator too poor to bond its gentx)."""


def create_node_files(home: Home, moniker: str, rpc_port: int, p2p_port: int,
                      persistent_peers: list[str] | None = None) -> FilePV:
    """config.toml, node key and validator key; everything but the genesis."""
    if home.config_file.exists() or home.validator_key_file.exists():
        raise HomeExistsError(f"{home.root} already holds a node (config.toml or validator key); choose another --home")
    home.root.mkdir(parents=True, exist_ok=True)
    config = Config(moniker=moniker, rpc=RPCConfig(port=rpc_port),
                    p2p=P2PConfig(port=p2p_port, persistent_peers=list(persistent_peers or [])))
    save_config(config, home.config_file)
    load_or_create_node_key(home.node_key_file)
    return FilePV.generate(home.validator_key_file, home.validator_state_file)


def compute_min_operator_balance(chain_id: str, moniker: str) -> int:
    """SELF_DELEGATION plus the gentx's fee, which depends on its size: measured on a gentx signed
    by a throwaway key (keys and signatures have fixed lengths), before any file is written."""
    probe = build_gentx(nacl.signing.SigningKey(bytes(32)), chain_id, bytes(32), moniker, SELF_DELEGATION)
    return SELF_DELEGATION + decode_tx(probe, DEFAULT_AUTH_PARAMS.max_tx_bytes).body.fee


def init_home(root: Path, *, chain_id: str, moniker: str, rpc_port: int, p2p_port: int,
              passphrase: str, balance: int) -> dict[str, Any]:
    """A single-validator home whose `validator` account is funded in its genesis and bonds
    SELF_DELEGATION of it there (its gentx, signing with the node's validator key)."""
    min_balance = compute_min_operator_balance(chain_id, moniker)
    if balance < min_balance:
        raise InitError(f"--balance {balance} uake cannot bond the {SELF_DELEGATION} uake self-delegation and pay "
                        f"the gentx fee: at least {min_balance} uake")
    home = Home(root)
    signer = create_node_files(home, moniker, rpc_port, p2p_port)
    keystore = Keystore(home.keyring_dir)
    operator = keystore.add("validator", passphrase)
    gentx = build_gentx(keystore.load("validator", passphrase), chain_id, signer.pub_key, moniker, SELF_DELEGATION)
    genesis = build_genesis(
        chain_id,
        gentxs=[gentx],
        accounts={parse_address(operator.address): balance},
        genesis_time_ms=time.time_ns() // 1_000_000,
    )
    write_genesis(home.genesis_file, genesis)
    return {
        "home": str(root),
        "chain_id": chain_id,
        "moniker": moniker,
        "validator_address": operator.address,
        "consensus_pub_key": signer.pub_key.hex(),
        "self_delegation": SELF_DELEGATION,
        "rpc": f"http://127.0.0.1:{rpc_port}",
    }
