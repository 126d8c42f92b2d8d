"""What a wallet knows of its chain without asking a node: the chain id and fee params of the
home's genesis.json (or the chain id of a devnet directory's devnet.json), so a node that lies
cannot make the wallet sign for another chain or overpay."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from akechain.chain.codec import GenesisError, Msg
from akechain.chain.modules.auth.params import DEFAULT_PARAMS, PARAMS, Params, compute_required_fee
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.node.genesis_file import load_genesis

MAX_FEE_MULTIPLE = 10  # the default --max-fee, in required fees: room for priority, not for a node's lie
DEVNET_FILE = "devnet.json"


class LocalChainError(ValueError):
    """The home does not say which chain to sign for, or says it in a malformed file."""


@dataclass(frozen=True, slots=True)
class LocalChain:
    chain_id: str
    auth_params: Params

    def compute_max_fee(self, msgs: Sequence[Msg], tx_bytes: int) -> int:
        """The default --max-fee of a tx: a multiple of the fee the home's genesis requires for it."""
        return MAX_FEE_MULTIPLE * compute_required_fee(self.auth_params, len(msgs), tx_bytes,
                                                       DEFAULT_REGISTRY.compute_tx_work(msgs))


def load_local_chain(home: Path, chain_id: str | None = None) -> LocalChain:
    """The chain HOME signs for: `chain_id` if given, else its genesis.json, else its devnet.json.
    The fee params come from the genesis when there is one, else the default auth params."""
    genesis_path = home / "genesis.json"
    genesis = _load_genesis(genesis_path) if genesis_path.exists() else None
    auth_params = DEFAULT_PARAMS if genesis is None else _genesis_auth_params(genesis, genesis_path)
    if chain_id is None and genesis is not None:
        chain_id = genesis["chain_id"]
    if chain_id is None:
        chain_id = _devnet_chain_id(home / DEVNET_FILE)
    if chain_id is None:
        raise LocalChainError(f"{home} holds no genesis.json or {DEVNET_FILE} to tell the chain id: pass --chain-id")
    return LocalChain(chain_id=chain_id, auth_params=auth_params)


def _load_genesis(path: Path) -> dict:
    try:
        return load_genesis(path)
    except GenesisError as exc:
        raise LocalChainError(str(exc)) from None


def _genesis_auth_params(genesis: dict, path: Path) -> Params:
    try:
        return PARAMS.from_json(genesis["app_state"]["auth"]["params"])
    except (KeyError, TypeError, GenesisError) as exc:
        raise LocalChainError(f"{path}: no valid app_state.auth.params ({exc})") from None


def _devnet_chain_id(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        chain_id = json.loads(path.read_text()).get("chain_id")
    except (ValueError, AttributeError):
        raise LocalChainError(f"{path} is not a devnet.json object") from None
    if not isinstance(chain_id, str):
        raise LocalChainError(f"{path}: chain_id must be a string")
    return chain_id
