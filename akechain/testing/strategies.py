"""Hypothesis strategies over the registered modules: messages (each module's own, from the
`strategies.py` its descriptor names), txs with or without a deliberate envelope fault, accounts,
param sets within their declared bounds, and genesis states.

Message and tx strategies take a context (`StrategyContext`: the accounts and the chain's
committed state; a `SimDriver` is one) and are rebuilt at every draw, since state moves.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any, Mapping, Sequence

import nacl.signing
from hypothesis import strategies as st

from akechain.chain.codec import GenesisError, Msg
from akechain.chain.crypto import ADDRESS_LENGTH, Address, signing_key_from_seed
from akechain.chain.genesis import build_genesis
from akechain.chain.module import Draft, Module, MsgStrategies, StrategyContext
from akechain.chain.params import ADDRESS, INT, ParamSet
from akechain.chain.registry import DEFAULT_REGISTRY, Registry

# Envelope faults a tx may carry on purpose; each must make the tx fail before its messages run
FAULTS = ("nonce", "signature", "chain", "fee")


@dataclass(frozen=True, slots=True)
class TxDraft:
    """A tx before signing: the signer's nonce is filled in when it is signed (so dropping a tx while
    shrinking leaves the later ones valid), and `fault` ("" or one of FAULTS) spoils it on purpose."""

    sender: Address
    msgs: tuple[Msg, ...]
    fault: str = ""


class StrategiesError(LookupError):
    """A module names strategies that cannot be loaded, or a message has none."""


@cache
def import_strategies(path: str) -> Mapping[type[Msg], MsgStrategies]:
    return importlib.import_module(path).STRATEGIES


def load_strategies(module: Module) -> Mapping[type[Msg], MsgStrategies]:
    """The module's `STRATEGIES` (empty for a module without messages); every handled message must have one."""
    if module.strategies is None:
        if module.handlers:
            raise StrategiesError(f"module {module.name} handles messages but names no strategies")
        return {}
    strategies = import_strategies(module.strategies)
    missing = [t.__name__ for t in module.handlers if t not in strategies]
    if missing:
        raise StrategiesError(f"module {module.name} has no strategies for {missing}")
    return strategies


def get_msg_strategies(registry: Registry, module: str | tuple[str, ...] | None = None) -> list[tuple[type[Msg], MsgStrategies]]:
    """Every (message type, strategies) of the registry, or of some modules, in registry order."""
    names = (module,) if isinstance(module, str) else module
    found = [(t, s) for m in registry.modules if names is None or m.name in names for t, s in load_strategies(m).items()]
    if not found:
        raise StrategiesError(f"no message strategies for module {module!r}")
    return found


def st_msg(ctx: StrategyContext, module: str | tuple[str, ...] | None = None, valid: bool | None = True,
           msg_type: type[Msg] | None = None, registry: Registry | None = None) -> st.SearchStrategy[Draft]:
    """A (sender, message) draft of any registered message, or of some modules or one `msg_type`;
    `valid`: True should succeed now, False must fail, None either."""
    registry = registry if registry is not None else getattr(ctx, "registry", DEFAULT_REGISTRY)
    choices = [(t, s) for t, s in get_msg_strategies(registry, module) if msg_type in (None, t)]
    if not choices:
        raise StrategiesError(f"no strategies for {msg_type}")
    return draw_msg(ctx, choices, valid)


# Composites are defined once: hypothesis inspects a composite's source each time one is defined
@st.composite
def draw_msg(draw: Any, ctx: StrategyContext, choices: list[tuple[type[Msg], MsgStrategies]], valid: bool | None) -> Draft:
    first = draw(st.integers(0, len(choices) - 1))
    is_valid = draw(st.booleans()) if valid is None else valid
    for _, strategies in choices[first:] + choices[:first]:  # the first type with something to act on
        strategy = (strategies.valid if is_valid else strategies.invalid)(ctx)
        if not strategy.is_empty:
            return draw(strategy)
    raise StrategiesError(f"no message type has anything to act on (valid={is_valid})")


def st_tx(ctx: StrategyContext, valid: bool | None = True, module: str | tuple[str, ...] | None = None,
          registry: Registry | None = None) -> st.SearchStrategy[TxDraft]:
    """A one-message tx draft. Invalid ones fail either in their message or in their envelope
    (a fault: wrong nonce, bad signature, other chain, fee below the minimum)."""
    return draw_tx(ctx, valid, module, registry)


@st.composite
def draw_tx(draw: Any, ctx: StrategyContext, valid: bool | None, module: str | tuple[str, ...] | None,
            registry: Registry | None) -> TxDraft:
    is_valid = draw(st.integers(0, 3)) > 0 if valid is None else valid  # mostly valid: state must move
    if is_valid:
        draft = draw(st_msg(ctx, module, True, registry=registry))
        return TxDraft(draft.sender, (draft.msg,))
    fault = draw(st.sampled_from(("",) + FAULTS))
    draft = draw(st_msg(ctx, module, bool(fault), registry=registry))  # the fault alone must fail it
    return TxDraft(draft.sender, (draft.msg,), fault)


def st_signed_tx(ctx: Any, valid: bool | None = True, module: str | None = None) -> st.SearchStrategy[bytes]:
    """Wire bytes of a tx drafted as `st_tx` and signed by `ctx` (a `SimDriver`: it holds the keys,
    the chain id and the next nonces) without spending its nonce."""
    return st_tx(ctx, valid, module).map(lambda draft: ctx.sign(draft, advance=False))


def st_accounts(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[nacl.signing.SigningKey]]:
    """Distinct signing keys (their addresses: `get_address`)."""
    seeds = st.lists(st.binary(min_size=32, max_size=32), min_size=min_size, max_size=max_size, unique=True)
    return seeds.map(lambda items: [signing_key_from_seed(seed) for seed in items])


def st_params(params: ParamSet, **fixed: Any) -> st.SearchStrategy[Any]:
    """A params record of `params` within every declared bound and relation; `fixed` pins fields
    to a value or a strategy (e.g. `min_fee=st.integers(0, 100)`)."""
    fields: dict[str, st.SearchStrategy] = {}
    for spec in params.specs:
        if spec.name in fixed:
            value = fixed[spec.name]
            fields[spec.name] = value if isinstance(value, st.SearchStrategy) else st.just(value)
        elif spec.kind == INT:
            fields[spec.name] = st.integers(spec.lo, spec.hi)
        elif spec.kind == ADDRESS:
            fields[spec.name] = st.binary(min_size=ADDRESS_LENGTH, max_size=ADDRESS_LENGTH)
        else:
            fields[spec.name] = st.lists(st.binary(min_size=ADDRESS_LENGTH, max_size=ADDRESS_LENGTH),
                                         max_size=min(spec.max_items, 8), unique=True).map(lambda xs: tuple(sorted(xs)))
    unknown = set(fixed) - set(fields)
    if unknown:
        raise StrategiesError(f"{params.module} has no params {sorted(unknown)}")
    return st.builds(params.cls, **fields).filter(lambda record: is_within_bounds(params, record))


def is_within_bounds(params: ParamSet, record: Any) -> bool:
    try:
        params.validate(record)
    except GenesisError:
        return False
    return True


def make_app_state(accounts: Mapping[Address, int], params: Mapping[str, Any],
                   registry: Registry = DEFAULT_REGISTRY, chain_id: str = "ake-sim-1") -> dict:
    """Genesis `app_state` funding `accounts`, with each registered module's params record from
    `params` (by module name) or its defaults."""
    app_state = build_genesis(chain_id, (), accounts)["app_state"]
    for name, param_set in registry.params.items():
        record = params[name] if name in params else param_set.cls()
        param_set.validate(record)
        app_state.setdefault(name, {})["params"] = param_set.to_json(record)
    return app_state


def st_app_state(accounts: Sequence[Address], registry: Registry = DEFAULT_REGISTRY,
                 balance: st.SearchStrategy[int] = st.integers(1, 10**12),
                 params: Mapping[str, st.SearchStrategy] = {}) -> st.SearchStrategy[dict]:  # noqa: B006
    """Genesis states funding `accounts`, with every module's params drawn within bounds (`st_params`)
    unless `params` gives a strategy for that module."""
    draws = {name: params.get(name, st_params(param_set)) for name, param_set in registry.params.items()}
    return st.builds(lambda balances, records: make_app_state(dict(zip(accounts, balances)), records, registry),
                     st.lists(balance, min_size=len(accounts), max_size=len(accounts)), st.fixed_dictionaries(draws))
