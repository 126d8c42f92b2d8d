"""The typed view of state that keepers read and write, and the event shape they emit.

Keepers see records, not bytes: the app's block journal decodes a value once per block and
encodes dirty values once at commit, which keeps the per-tx path cheap.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from itertools import islice
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, TypeVar

from consensus.abci import Misbehavior, VoteInfo
from state.codec import DEFAULT_MAX_SIZE, CodecError, decode, encode

T = TypeVar("T")

Event = tuple[str, tuple[tuple[str, str], ...]]  # (type, ((key, value), ...)), as in consensus.abci
Hooks = Mapping[str, tuple[Callable[..., None], ...]]  # hook name ("staking/...") -> the modules' callbacks


def make_event(kind: str, **attrs: object) -> Event:
    """An event with its attributes as strings, in the order given."""
    return (kind, tuple((name, value if isinstance(value, str) else str(value)) for name, value in attrs.items()))


class StoreView(Protocol):
    def get(self, key: bytes, cls: type[T]) -> T | None: ...

    def set(self, key: bytes, record: object) -> None: ...

    def delete(self, key: bytes) -> None: ...

    def iterate(self, prefix: bytes, cls: type[T], start: bytes | None = None) -> Iterator[tuple[bytes, T]]:
        """Records under `prefix` in key order, from key `start` (inclusive) on; lazy, so a
        caller that stops early (a page of a query) reads only what it takes."""
        ...


ScanKeys = Callable[[bytes, "bytes | None"], Iterable[bytes]]  # (prefix, start) -> sorted keys


def take(items: Iterable[T], limit: int | None) -> list[T]:
    """The first `limit` items (all of them when None): a page reads no further than it shows."""
    return list(items if limit is None else islice(items, limit))


_MISSING = object()


class Journal:
    """A block's (or the mempool's) pending state over committed bytes: decoded reads cached,
    writes kept as records, and an undo log so one tx's writes can be dropped (`revert`).

    `changes()` encodes the dirty records once, in key order, for `CommitStore.commit`.
    """

    def __init__(self, read: Callable[[bytes], bytes | None], scan_keys: ScanKeys) -> None:
        """`read` and `scan_keys` (sorted keys under a prefix, from a start key) see the state below:
        a CommitStore or another Journal."""
        self._read = read
        self._scan_keys = scan_keys
        self._clean: dict[bytes, object] = {}  # committed values, decoded on first read (None: absent)
        self._dirty: dict[bytes, object] = {}  # written since the last commit (None: deleted)
        self._undo: list[tuple[bytes, object]] = []  # (key, its previous dirty value or _MISSING)
        self._encoded: dict[bytes, tuple[object, bytes]] = {}  # key -> (record, its bytes) checked by `check_sizes`

    def get(self, key: bytes, cls: type[T]) -> T | None:
        value = self._dirty.get(key, _MISSING)
        if value is _MISSING:
            value = self._clean.get(key, _MISSING)
            if value is _MISSING:
                raw = self._read(key)
                value = None if raw is None else decode(cls, raw)
                self._clean[key] = value
        return value  # type: ignore[return-value]

    def set(self, key: bytes, record: object) -> None:
        self._undo.append((key, self._dirty.get(key, _MISSING)))
        self._dirty[key] = record

    def delete(self, key: bytes) -> None:
        self.set(key, None)

    def iterate(self, prefix: bytes, cls: type[T], start: bytes | None = None) -> Iterator[tuple[bytes, T]]:
        for key in self.get_keys(prefix, start):
            value = self.get(key, cls)
            if value is not None:
                yield key, value

    def get_keys(self, prefix: bytes, start: bytes | None = None) -> Iterator[bytes]:
        """Keys under `prefix` (from `start` on) with a value or a pending deletion, sorted: the
        state below merged lazily with this journal's writes."""
        written = sorted(key for key in self._dirty if key.startswith(prefix) and (start is None or key >= start))
        previous = None
        for key in heapq.merge(self._scan_keys(prefix, start), written):
            if key != previous:
                previous = key
                yield key

    def get_bytes(self, key: bytes) -> bytes | None:
        """The encoded current value, so another Journal can stack on this one."""
        value = self._dirty.get(key, _MISSING)
        if value is _MISSING:
            return self._read(key)
        return None if value is None else encode(value)

    def snapshot(self) -> int:
        return len(self._undo)

    def revert(self, snapshot: int) -> None:
        """Drop every write made after `snapshot` was taken."""
        while len(self._undo) > snapshot:
            key, previous = self._undo.pop()
            if previous is _MISSING:
                del self._dirty[key]
            else:
                self._dirty[key] = previous

    def forget_undo(self) -> None:
        """Make the writes so far permanent for this journal (end of a tx), keeping the log short."""
        self._undo.clear()

    def check_sizes(self, snapshot: int, max_bytes: int = DEFAULT_MAX_SIZE) -> None:
        """Encode each record written since `snapshot` and refuse one that could not be read back
        (CodecError), so a record grown too large fails the tx that grew it, not a later block."""
        for key in {key for key, _ in self._undo[snapshot:]}:
            record = self._dirty[key]
            if record is None:
                continue
            raw = encode(record)
            if len(raw) > max_bytes:
                raise CodecError(f"record under {key[:1].hex()}… would be {len(raw)} bytes, over the {max_bytes}-byte limit")
            self._encoded[key] = (record, raw)

    def changes(self) -> dict[bytes, bytes | None]:
        return {key: None if value is None else self._encode(key, value) for key, value in sorted(self._dirty.items())}

    def _encode(self, key: bytes, record: object) -> bytes:
        cached = self._encoded.get(key)
        return cached[1] if cached is not None and cached[0] is record else encode(record)


@dataclass(frozen=True, slots=True)
class BlockContext:
    """What a block tells its handlers and end-of-block hooks: the only height, clock and randomness
    the state transition may read. `random_seed` is the proposer's verified VRF output for this
    height; verify folds it into the chain seed (`verify.keeper.get_chain_seed`), which draws hash
    with a purpose tag and an id, never used raw twice."""

    height: int
    time_ms: int
    random_seed: bytes
    module_accounts: frozenset[bytes] = frozenset()  # the registry's: plain sends to them are refused
    # what consensus decided about the validators: who signed the previous block, who equivocated
    last_commit: tuple[VoteInfo, ...] = ()
    misbehavior: tuple[Misbehavior, ...] = ()
    # the registry's: what other modules asked to be told (staking calls them as stake moves)
    hooks: Hooks = field(default_factory=lambda: MappingProxyType({}))
    # the registry's: every module's params (a `ParamSet` by module name), so governance can check a
    # param change against its declared bounds at submission and apply it when the proposal passes
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # the registry's msg type -> handler, so authz can run a hot key's messages for their granter
    handlers: Mapping[type, Callable[..., list[Event]]] = field(default_factory=lambda: MappingProxyType({}))
    chain_id: str = ""  # what every tx signs; the bridge binds its EVM signatures to it
