"""Slashing state: one signing-info record per validator consensus address, and its missed-blocks
bitmap over the window in chunks of `CHUNK_BITS` (a block rewrites one chunk, never the whole
bitmap)."""
from __future__ import annotations

from dataclasses import dataclass

SIGNING_INFO_PREFIX = b"\xb1"  # + consensus address
MISSED_CHUNK_PREFIX = b"\xb2"  # + consensus address + u32 chunk index: bits of missed blocks
CHUNK_BITS = 1024
MAX_SPANS = 16  # heights-in-the-set ranges kept per validator (for evidence), newest last
JAILED_FOREVER_MS = 2**63 - 1


@dataclass(frozen=True, slots=True)
class SetSpan:
    """Heights first..last (inclusive) the validator was in the set, as the decided last commits say."""

    first: int
    last: int


@dataclass(frozen=True, slots=True)
class SigningInfo:
    operator: bytes
    start_height: int  # when tracking began (again): no downtime slash within a window of it
    window: int  # signed_blocks_window the bitmap was kept with (a param change resets it)
    index_offset: int  # blocks counted since start; the next bit is index_offset % window
    missed_blocks_counter: int  # set bits of the bitmap
    jailed_until_ms: int  # block time from which unjail is allowed
    tombstoned: bool  # double-signed: never unjailed, later evidence is ignored
    spans: tuple[SetSpan, ...]  # recent heights in the set, within the evidence max age


@dataclass(frozen=True, slots=True)
class MissedChunk:
    bits: bytes  # CHUNK_BITS // 8 bytes, bit i of the chunk = byte i // 8, mask 1 << (i % 8)


def get_signing_info_key(address: bytes) -> bytes:
    return SIGNING_INFO_PREFIX + address


def get_missed_chunk_key(address: bytes, chunk: int) -> bytes:
    return MISSED_CHUNK_PREFIX + address + chunk.to_bytes(4, "big")


TABLES: dict[bytes, type] = {
    SIGNING_INFO_PREFIX: SigningInfo,
    MISSED_CHUNK_PREFIX: MissedChunk,
}
