"""Balances and supply over the typed store; the only code that changes an amount of AKE."""
from __future__ import annotations

from dataclasses import dataclass, replace

from akechain.chain.codec import MAX_UINT63, AppError
from akechain.chain.crypto import Address, module_account
from akechain.chain.modules.auth.keeper import ensure_account
from akechain.chain.store import StoreView

BALANCE_PREFIX = b"\x10"
SUPPLY_KEY = b"\x11"
# every tx fee lands here; distribution splits it at the next block's start (burn, treasury, stakers)
FEE_COLLECTOR = module_account("fee-collector")
# keyless: fed by distribution's split and the market's take, spent only by governance (next issues)
TREASURY = module_account("treasury")


class InsufficientFundsError(AppError):
    code = 20


class BalanceOverflowError(AppError):
    code = 21


class ModuleAccountRecipientError(AppError):
    """Funds reach module accounts only through their module's logic, so a gift cannot break the
    exact escrow, collateral and bond invariants."""

    code = 22


@dataclass(frozen=True, slots=True)
class Balance:
    amount: int  # uake; zero balances are deleted, never stored


@dataclass(frozen=True, slots=True)
class Supply:
    initial: int  # at genesis
    total: int  # now: sum of all balances
    burned: int  # destroyed since genesis (fee, take and slash burns)
    minted: int  # created since genesis (distribution's emission)


def get_balance_key(address: bytes) -> bytes:
    return BALANCE_PREFIX + address


def get_balance(store: StoreView, address: bytes) -> int:
    balance = store.get(BALANCE_PREFIX + address, Balance)
    return 0 if balance is None else balance.amount


def set_balance(store: StoreView, address: bytes, amount: int) -> None:
    if amount == 0:
        store.delete(BALANCE_PREFIX + address)
    else:
        store.set(BALANCE_PREFIX + address, Balance(amount))


def get_supply(store: StoreView) -> Supply:
    supply = store.get(SUPPLY_KEY, Supply)
    return Supply(initial=0, total=0, burned=0, minted=0) if supply is None else supply


def set_supply(store: StoreView, supply: Supply) -> None:
    store.set(SUPPLY_KEY, supply)


def increase_balance(store: StoreView, address: Address, amount: int) -> None:
    balance = get_balance(store, address) + amount
    # Verify the credit cannot overflow (unreachable while supply <= 2**63-1, but cheap to be sure)
    if balance > MAX_UINT63:
        raise BalanceOverflowError(f"balance of {address.hex()} would exceed {MAX_UINT63}")
    ensure_account(store, address)
    set_balance(store, address, balance)


def decrease_balance(store: StoreView, address: bytes, amount: int) -> None:
    balance = get_balance(store, address)
    # Verify the account holds the amount
    if balance < amount:
        raise InsufficientFundsError(f"insufficient funds: balance {balance} uake < {amount} uake")
    set_balance(store, address, balance - amount)


def process_transfer(store: StoreView, sender: Address, recipient: Address, amount: int) -> None:
    decrease_balance(store, sender, amount)
    increase_balance(store, recipient, amount)


def process_burn(store: StoreView, address: bytes, amount: int) -> None:
    """Destroy `amount` held by `address` (a module account's share of a slash or take)."""
    if amount == 0:
        return
    decrease_balance(store, address, amount)
    supply = get_supply(store)
    set_supply(store, replace(supply, total=supply.total - amount, burned=supply.burned + amount))


def process_mint(store: StoreView, address: Address, amount: int) -> None:
    """Create `amount` for `address` (the emission, which the distribution module bounds by its cap)."""
    if amount == 0:
        return
    increase_balance(store, address, amount)
    supply = get_supply(store)
    set_supply(store, replace(supply, total=supply.total + amount, minted=supply.minted + amount))


def process_fee(store: StoreView, payer: Address, fee: int) -> None:
    """Take `fee` from the payer into the fee collector."""
    if fee:
        process_transfer(store, payer, FEE_COLLECTOR, fee)
