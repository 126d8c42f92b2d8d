"""Genesis documents: build one, and import or export the app's part (`app_state`); the file
I/O is in `akechain.node.genesis_file`.

genesis.json fields:
    chain_id         str, e.g. "ake-devnet-1"; signed into every tx
    genesis_time_ms  int, unix milliseconds; the chain's clock starts here (BFT time afterwards)
    initial_height   int, 1 for a new chain; H + 1 for one imported from an export at height H
    app_state        {"auth": {"params": {"min_fee": uake per tx, "fee_per_msg": uake per message,
                                          "fee_per_byte": uake per tx byte, "max_tx_bytes": int,
                                          "max_memo_length": chars, "fee_per_work": uake per work unit,
                                          "max_block_work": work units per block},
                               "accounts": [{"address": "ake1…", "nonce": int, "pub_key": hex or ""}]},
                      "bank": {"balances": [{"address": "ake1…", "amount": uake}],
                               "supply": {"initial", "total", "burned", "minted"} (optional, written by export)},
                      "staking": {"params": {...}, "gentxs": ["<hex signed tx>", ...]} or, exported,
                                 {"params", "state": [[hex key, hex record], ...]}: the first validator
                                 set is what the gentxs bond (see modules/staking/genesis.py),
                      "slashing": {"params": {...}, "state": [[hex key, hex record], ...]} (optional;
                                  see akechain/chain/modules/slashing/genesis.py),
                      "distribution": {"params": {...}, "state": [[hex key, hex record], ...]}
                                      (optional: the fee and emission split, rewards; see
                                       akechain/chain/modules/distribution/genesis.py),
                      "market": {"params": {...}, "state": [[hex key, hex record], ...]}
                                (optional: without it the market starts empty with default params;
                                 see akechain/chain/modules/market/genesis.py and docs/market.md),
                      "gov": {"params": {...}, "state": [[hex key, hex record], ...]}
                             (optional: proposals, votes, grants; see akechain/chain/modules/gov/genesis.py
                              and docs/governance.md),
                      "kpi": {"params": {"period_blocks", "kept_periods"}, "state": [...]}
                             (optional: per-period network figures; see docs/governance.md),
                      "upgrade": {"state": [[hex key, hex record], ...]} (optional: a pending plan and
                                 applied ones at absolute heights; the modules' consensus
                                 versions are not in it: init_chain writes this binary's)}

Each section belongs to the module of that name (its descriptor's `genesis`); sections are imported
in the registry's module order (auth before bank, since balances create accounts) and exported
symmetrically, so an export re-imports to the same state and therefore the same app hash.
"""
from __future__ import annotations

import json
from typing import Iterable, Mapping

import nacl.signing

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.crypto import format_address
from akechain.chain.modules.auth.params import DEFAULT_PARAMS as DEFAULT_AUTH_PARAMS
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.bridge.params import DEFAULT_PARAMS as DEFAULT_BRIDGE_PARAMS
from akechain.chain.modules.bridge.params import PARAMS as BRIDGE_PARAMS
from akechain.chain.modules.bridge.params import Params as BridgeParams
from akechain.chain.modules.distribution.params import DEFAULT_PARAMS as DEFAULT_DISTRIBUTION_PARAMS
from akechain.chain.modules.distribution.params import PARAMS as DISTRIBUTION_PARAMS
from akechain.chain.modules.distribution.params import Params as DistributionParams
from akechain.chain.modules.gov.params import DEFAULT_PARAMS as DEFAULT_GOV_PARAMS
from akechain.chain.modules.gov.params import PARAMS as GOV_PARAMS
from akechain.chain.modules.gov.params import Params as GovParams
from akechain.chain.modules.kpi.params import DEFAULT_PARAMS as DEFAULT_KPI_PARAMS
from akechain.chain.modules.kpi.params import PARAMS as KPI_PARAMS
from akechain.chain.modules.kpi.params import Params as KpiParams
from akechain.chain.modules.market.params import DEFAULT_PARAMS as DEFAULT_MARKET_PARAMS
from akechain.chain.modules.market.params import PARAMS as MARKET_PARAMS
from akechain.chain.modules.market.params import Params as MarketParams
from akechain.chain.modules.slashing.params import DEFAULT_PARAMS as DEFAULT_SLASHING_PARAMS
from akechain.chain.modules.slashing.params import PARAMS as SLASHING_PARAMS
from akechain.chain.modules.slashing.params import Params as SlashingParams
from akechain.chain.modules.staking.msgs import MsgCreateValidator
from akechain.chain.modules.staking.params import DEFAULT_PARAMS as DEFAULT_STAKING_PARAMS
from akechain.chain.modules.staking.params import PARAMS as STAKING_PARAMS
from akechain.chain.modules.staking.params import Params as StakingParams
from akechain.chain.modules.upgrade.preblock import init_versions
from akechain.chain.registry import DEFAULT_REGISTRY, Registry
from akechain.chain.store import StoreView
from akechain.chain.tx import build_tx_paying_fee


def init_app_state(store: StoreView, app_state: object, registry: Registry = DEFAULT_REGISTRY) -> None:
    if not isinstance(app_state, dict):
        raise GenesisError("app_state must be a JSON object")
    check_json_fields(app_state, set(registry.genesis), "app_state")
    for name, genesis in registry.genesis.items():
        if genesis.optional and name not in app_state:
            genesis.init(store, None)
            continue
        genesis.init(store, get_json_field(app_state, name, dict, "app_state"))
    if registry.tracks_upgrades:
        init_versions(store, registry.modules)  # this binary's, as the Cosmos SDK's InitChainer


def get_genesis_txs(app_state: dict, registry: Registry = DEFAULT_REGISTRY) -> list[bytes]:
    """Signed txs carried by the genesis sections (staking's gentxs), in module order."""
    return [tx for name, genesis in registry.genesis.items() if genesis.txs is not None
            for tx in genesis.txs(app_state.get(name))]


def export_app_state(store: StoreView, registry: Registry = DEFAULT_REGISTRY) -> dict:
    return {name: genesis.export(store) for name, genesis in registry.genesis.items()}


def build_genesis(
    chain_id: str,
    gentxs: Iterable[bytes],
    accounts: Mapping[bytes, int],
    auth_params: AuthParams = DEFAULT_AUTH_PARAMS,
    genesis_time_ms: int = 0,
    market_params: MarketParams = DEFAULT_MARKET_PARAMS,
    staking_params: StakingParams = DEFAULT_STAKING_PARAMS,
    slashing_params: SlashingParams = DEFAULT_SLASHING_PARAMS,
    distribution_params: DistributionParams = DEFAULT_DISTRIBUTION_PARAMS,
    gov_params: GovParams = DEFAULT_GOV_PARAMS,
    bridge_params: BridgeParams = DEFAULT_BRIDGE_PARAMS,
    kpi_params: KpiParams = DEFAULT_KPI_PARAMS,
) -> dict:
    """A genesis document: `gentxs` are the operators' signed create-validator txs (`build_gentx`),
    `accounts` address -> uake (the operators' included, since their gentxs bond and pay a fee)."""
    AUTH_PARAMS.validate(auth_params)
    MARKET_PARAMS.validate(market_params)
    STAKING_PARAMS.validate(staking_params)
    SLASHING_PARAMS.validate(slashing_params)
    DISTRIBUTION_PARAMS.validate(distribution_params)
    GOV_PARAMS.validate(gov_params)
    BRIDGE_PARAMS.validate(bridge_params)
    KPI_PARAMS.validate(kpi_params)
    return {
        "chain_id": chain_id,
        "genesis_time_ms": genesis_time_ms,
        "initial_height": 1,
        "app_state": {
            "auth": {"params": AUTH_PARAMS.to_json(auth_params), "accounts": []},
            "bank": {"balances": [{"address": format_address(a), "amount": n} for a, n in sorted(accounts.items())]},
            "staking": {"params": STAKING_PARAMS.to_json(staking_params), "gentxs": [tx.hex() for tx in gentxs]},
            "slashing": {"params": SLASHING_PARAMS.to_json(slashing_params)},
            "distribution": {"params": DISTRIBUTION_PARAMS.to_json(distribution_params)},
            "market": {"params": MARKET_PARAMS.to_json(market_params)},
            "gov": {"params": GOV_PARAMS.to_json(gov_params)},
            "bridge": {"params": BRIDGE_PARAMS.to_json(bridge_params)},
            "kpi": {"params": KPI_PARAMS.to_json(kpi_params)},
        },
    }


def build_gentx(operator_key: nacl.signing.SigningKey, chain_id: str, consensus_pub_key: bytes, moniker: str,
                self_delegation: int, auth_params: AuthParams = DEFAULT_AUTH_PARAMS, commission_rate_bps: int = 1_000,
                max_rate_bps: int = 2_000, max_change_rate_bps: int = 100) -> bytes:
    """An operator's genesis tx: its first tx (nonce 0, the required fee), creating its validator."""
    msg = MsgCreateValidator(consensus_pub_key=consensus_pub_key, moniker=moniker, commission_rate_bps=commission_rate_bps,
                             max_rate_bps=max_rate_bps, max_change_rate_bps=max_change_rate_bps,
                             self_delegation=self_delegation)
    return build_tx_paying_fee(operator_key, chain_id, 0, [msg], auth_params)


def apply_param_changes(app_state: dict, changes: Mapping[str, object], registry: Registry = DEFAULT_REGISTRY) -> dict:
    """`changes` ({module: {param: value}}, genesis JSON form, e.g. a devnet's short unbonding
    period) over the params of `app_state`; each changed module's params are checked against their
    declared bounds here, so a bad file is refused before any node starts (ValueError)."""
    out = dict(app_state)
    for module, params in changes.items():
        param_set = registry.params.get(module)
        if param_set is None:
            raise ValueError(f"no module {module!r} has params; these do: {', '.join(sorted(registry.params))}")
        if not isinstance(params, dict):
            raise ValueError(f"the {module} params must be a JSON object of param: value")
        section = dict(out.get(module, {}))
        section["params"] = {**section.get("params", {}), **params}
        try:
            param_set.from_json(section["params"])
        except (GenesisError, KeyError, TypeError) as exc:
            raise ValueError(f"{module} params: {exc}") from exc
        out[module] = section
    return out


def encode_app_state(app_state: dict) -> bytes:
    """Canonical JSON bytes, as `GenesisRequest.app_state` carries them."""
    return json.dumps(app_state, sort_keys=True, separators=(",", ":")).encode()
