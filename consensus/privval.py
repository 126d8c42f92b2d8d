"""Validator signers with double-sign protection (CometBFT's privval FilePV).

The signer remembers the last (height, round, step) it signed. It refuses anything lower, and a
different message at the same (height, round, step); an identical one (or a vote differing only
in its timestamp, as after a restart) gets the stored signature back. `FilePV` writes and fsyncs
that last-signed state before it returns a signature, so the protection survives a crash.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from nacl.signing import SigningKey

from consensus import vrf
from consensus.types import PRECOMMIT, PREVOTE, Proposal, Vote, address_of, sha256

STEP_PROPOSE = 1
STEP_PREVOTE = 2
STEP_PRECOMMIT = 3
_VOTE_STEPS = {PREVOTE: STEP_PREVOTE, PRECOMMIT: STEP_PRECOMMIT}


class DoubleSignError(Exception):
    """Signing this would contradict something already signed."""


class PrivValError(Exception):
    """A key or state file that cannot be read or written."""


class Signer(Protocol):
    @property
    def pub_key(self) -> bytes: ...

    @property
    def address(self) -> bytes: ...

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote: ...

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal: ...

    def prove_seed(self, chain_id: str, height: int) -> bytes: ...


@dataclass(frozen=True, slots=True)
class LastSignState:
    height: int = 0
    round: int = 0
    step: int = 0
    sign_bytes_hash: bytes = b""
    signature: bytes = b""
    timestamp_ms: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "height": self.height, "round": self.round, "step": self.step,
            "sign_bytes_hash": self.sign_bytes_hash.hex(), "signature": self.signature.hex(),
            "timestamp_ms": self.timestamp_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "LastSignState":
        try:
            return cls(
                int(data["height"]), int(data["round"]), int(data["step"]),  # type: ignore[arg-type]
                bytes.fromhex(str(data["sign_bytes_hash"])), bytes.fromhex(str(data["signature"])),
                int(data["timestamp_ms"]),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PrivValError(f"malformed last-sign state: {exc}") from exc


class MemoryPV:
    """The signer without files (tests, simulations); FilePV adds durability."""

    def __init__(self, seed: bytes, last: LastSignState | None = None) -> None:
        self._key = SigningKey(seed)
        self.last = last or LastSignState()

    @property
    def pub_key(self) -> bytes:
        return bytes(self._key.verify_key)

    @property
    def address(self) -> bytes:
        return address_of(self.pub_key)

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        step = _VOTE_STEPS.get(vote.type)
        if step is None:
            raise DoubleSignError(f"unknown vote type {vote.type}")
        signature, timestamp = self._sign(vote.height, vote.round, step, vote, chain_id)
        return replace(vote, signature=signature, timestamp_ms=timestamp)

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        signature, timestamp = self._sign(proposal.height, proposal.round, STEP_PROPOSE, proposal, chain_id)
        return replace(proposal, signature=signature, timestamp_ms=timestamp)

    def prove_seed(self, chain_id: str, height: int) -> bytes:
        """The VRF proof a block of `height` carries; unique in output, so no double-sign state."""
        return vrf.prove(bytes(self._key), vrf.compute_seed_input(chain_id, height))

    def _sign(self, height: int, round: int, step: int, record: Vote | Proposal, chain_id: str) -> tuple[bytes, int]:
        last = self.last
        hrs, last_hrs = (height, round, step), (last.height, last.round, last.step)
        if hrs < last_hrs:
            raise DoubleSignError(f"refusing to sign {hrs}: already signed {last_hrs}")
        if hrs == last_hrs:
            # Verify it is the same message, allowing only the timestamp to differ.
            same = replace(record, timestamp_ms=last.timestamp_ms, signature=b"")
            if sha256(same.sign_bytes(chain_id)) != last.sign_bytes_hash:
                raise DoubleSignError(f"refusing to sign a conflicting message at {hrs}")
            return last.signature, last.timestamp_ms
        sign_bytes = record.sign_bytes(chain_id)
        signature = self._key.sign(sign_bytes).signature
        self._save(LastSignState(height, round, step, sha256(sign_bytes), signature, record.timestamp_ms))
        return signature, record.timestamp_ms

    def _save(self, last: LastSignState) -> None:
        self.last = last


def _write_durably(path: Path, text: str) -> None:
    """Write via a temp file, fsync it, rename, fsync the directory: no torn or lost state."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PrivValError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PrivValError(f"{path}: expected a JSON object")
    return data


class FilePV(MemoryPV):
    """Key file {"pub_key", "address", "seed"} (hex, mode 0600) plus a last-sign state file."""

    def __init__(self, seed: bytes, state_path: Path, last: LastSignState | None = None) -> None:
        super().__init__(seed, last)
        self.state_path = state_path

    @classmethod
    def generate(cls, key_path: str | Path, state_path: str | Path) -> "FilePV":
        key_path, state_path = Path(key_path), Path(state_path)
        seed = os.urandom(32)
        pv = cls(seed, state_path)
        key = {"pub_key": pv.pub_key.hex(), "address": pv.address.hex(), "seed": seed.hex()}
        _write_durably(key_path, json.dumps(key, indent=2))
        pv._save(LastSignState())
        return pv

    @classmethod
    def load(cls, key_path: str | Path, state_path: str | Path) -> "FilePV":
        key_path, state_path = Path(key_path), Path(state_path)
        try:
            seed = bytes.fromhex(str(_read_json(key_path)["seed"]))
        except (KeyError, ValueError) as exc:
            raise PrivValError(f"{key_path}: no valid hex seed") from exc
        if len(seed) != 32:
            raise PrivValError(f"{key_path}: seed must be 32 bytes")
        last = LastSignState.from_json(_read_json(state_path)) if state_path.exists() else LastSignState()
        return cls(seed, state_path, last)

    @classmethod
    def load_or_generate(cls, key_path: str | Path, state_path: str | Path) -> "FilePV":
        if Path(key_path).exists():
            return cls.load(key_path, state_path)
        return cls.generate(key_path, state_path)

    def _save(self, last: LastSignState) -> None:
        _write_durably(self.state_path, json.dumps(last.to_json()))
        self.last = last
