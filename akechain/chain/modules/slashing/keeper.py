"""The slashing keeper: signing infos and the missed-blocks bitmap. Reading or flipping one bit
touches one chunk; only a reset (a jail, or a change of the window) walks the chunks of one validator."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.slashing.records import (
    CHUNK_BITS,
    MissedChunk,
    SigningInfo,
    get_missed_chunk_key,
    get_signing_info_key,
)
from akechain.chain.store import StoreView

CHUNK_BYTES = CHUNK_BITS // 8


def get_signing_info(store: StoreView, address: bytes) -> SigningInfo | None:
    return store.get(get_signing_info_key(address), SigningInfo)


def set_signing_info(store: StoreView, address: bytes, info: SigningInfo) -> None:
    store.set(get_signing_info_key(address), info)


def is_missed(store: StoreView, address: bytes, index: int) -> bool:
    chunk = store.get(get_missed_chunk_key(address, index // CHUNK_BITS), MissedChunk)
    bit = index % CHUNK_BITS
    return chunk is not None and bool(chunk.bits[bit // 8] & (1 << (bit % 8)))


def set_missed(store: StoreView, address: bytes, index: int, missed: bool) -> None:
    """Set or clear one bit; an all-clear chunk is deleted rather than stored."""
    key = get_missed_chunk_key(address, index // CHUNK_BITS)
    chunk = store.get(key, MissedChunk)
    bits = bytearray(bytes(CHUNK_BYTES) if chunk is None else chunk.bits)
    bit = index % CHUNK_BITS
    if missed:
        bits[bit // 8] |= 1 << (bit % 8)
    else:
        bits[bit // 8] &= ~(1 << (bit % 8)) & 0xFF
    if any(bits):
        store.set(key, MissedChunk(bytes(bits)))
    else:
        store.delete(key)


def count_chunks(window: int) -> int:
    return -(-window // CHUNK_BITS)


def reset_window(store: StoreView, address: bytes, info: SigningInfo, window: int, start_height: int) -> SigningInfo:
    """Forget the missed blocks (after a jail, or when the window changes size): a fresh window."""
    for chunk in range(count_chunks(info.window)):
        store.delete(get_missed_chunk_key(address, chunk))
    return replace(info, start_height=start_height, window=window, index_offset=0, missed_blocks_counter=0)


def compute_uptime(info: SigningInfo) -> tuple[int, int]:
    """(blocks signed, blocks counted) over the current window."""
    counted = min(info.index_offset, info.window)
    return counted - info.missed_blocks_counter, counted
