"""The app's shared record vocabulary on top of `state.codec`: integer types, the Msg union, typed errors.

Every module's messages register into `Msg`, so a Tx carries any of them and decodes strictly.
Every failure a tx can hit is an `AppError` subclass with a stable numeric `code`, because the
code (not the Python class) is what goes into block results and RPC answers.
"""
from __future__ import annotations

from typing import ClassVar

from state.codec import Tagged

HASH_LENGTH = 32
MAX_UINT63 = 2**63 - 1  # amounts and nonces fit a signed 64-bit int on every platform (and in EVM mirrors)


# Error codes: 1-9 here (codec, msgs, internal), 10-19 the tx envelope and ante (akechain/chain/tx.py);
# each module declares its own range in its descriptor (bank 20-29, market 40-59, escrow 60-69,
# verify 70-79) and keeps its AppError subclasses in its package.


class AppError(Exception):
    """A tx or record rejected by the app; `code` is what clients see (0 means OK)."""

    code: ClassVar[int] = 1


class InvalidMsgError(AppError):
    """A message failed its stateless checks (`validate_basic`)."""

    code = 2


class InternalError(AppError):
    """A handler failed in a way its module did not foresee (a bug, or a record too large to
    encode): the tx fails with its writes undone, the node keeps going."""

    code = 3


def check_uint63(value: object, what: str) -> None:
    """Reject anything but an int in [0, 2**63-1] (bool is not an amount)."""
    if type(value) is not int:
        raise InvalidMsgError(f"{what} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise InvalidMsgError(f"{what} must not be negative, got {value}")
    if value > MAX_UINT63:
        raise InvalidMsgError(f"{what} {value} exceeds the maximum {MAX_UINT63}")


def check_positive_amount(value: object, what: str) -> None:
    """An amount that moves funds: a uint63 that is not zero (zero transfers are spam)."""
    check_uint63(value, what)
    if value == 0:
        raise InvalidMsgError(f"{what} must be positive")


def check_hash(value: object, what: str) -> None:
    """A sha256 digest (outputs, commitments)."""
    if type(value) is not bytes or len(value) != HASH_LENGTH:
        raise InvalidMsgError(f"{what} must be a {HASH_LENGTH}-byte hash")


class Msg(Tagged):
    """Open union of every module's messages; members are frozen records with `validate_basic()`.

    A message acts on behalf of the tx sender, so messages carry no signer field of their own.
    """

    def validate_basic(self) -> None:
        """Stateless checks; raise InvalidMsgError."""
        raise NotImplementedError


class GenesisError(ValueError):
    """A genesis app_state (JSON) that is malformed or inconsistent."""


def get_json_field(obj: object, name: str, kind: type, where: str) -> object:
    """`obj[name]` checked to be exactly of `kind` (so JSON true is not accepted as an int)."""
    if not isinstance(obj, dict):
        raise GenesisError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if name not in obj:
        raise GenesisError(f"{where}: missing field {name!r}")
    value = obj[name]
    if type(value) is not kind:
        raise GenesisError(f"{where}.{name}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def check_json_fields(obj: dict, names: set[str], where: str) -> None:
    """Reject unknown fields, so a typo in genesis is an error rather than a silent default."""
    unknown = set(obj) - names
    if unknown:
        raise GenesisError(f"{where}: unknown fields {sorted(unknown)}")
