"""Peer scoring: junk from a peer lowers its score; under the threshold the peer is banned for a cool-down.

Pure bookkeeping (clock injected, no I/O): the `Host` reacts to bans by disconnecting the peer,
ignoring its gossip and not re-dialling it until the cool-down ends. Scores recover linearly over time,
so an honest peer that occasionally disagrees (e.g. a message just outside our height window) is not
banned, while a stream of junk is.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass


class Offence(enum.Enum):
    """What a peer sent that it should not have."""

    INVALID_MESSAGE = "gossip the topic validator rejected"
    OVERSIZE = "gossip or request over the registered cap"
    BAD_REQUEST = "request the handler refused as junk"
    MALFORMED_FRAME = "bytes that do not parse as the protocol"
    INVALID_RESPONSE = "a response that failed the requester's checks (e.g. invalid blocks)"
    INVALID_SIGNATURE = "gossip whose signature does not verify (an honest peer checks before relaying)"


PENALTY: dict[Offence, float] = {
    Offence.INVALID_MESSAGE: 10.0,
    Offence.OVERSIZE: 20.0,
    Offence.BAD_REQUEST: 10.0,
    Offence.MALFORMED_FRAME: 50.0,
    Offence.INVALID_RESPONSE: 50.0,
    Offence.INVALID_SIGNATURE: 50.0,  # as junk bytes: a few and the peer is banned
}


@dataclass(frozen=True, slots=True)
class ScoreParams:
    ban_threshold: float = -100.0  # a score at or under this bans the peer
    cooldown: float = 60.0  # seconds a banned peer stays disconnected and un-dialled
    recovery_per_second: float = 1.0  # how fast a negative score drifts back to 0


@dataclass(slots=True)
class _Entry:
    score: float
    updated: float
    banned_until: float = 0.0


class PeerScores:
    """Scores by peer id (base58 str). `on_ban(peer_id)` is called once each time a peer gets banned."""

    def __init__(self, params: ScoreParams = ScoreParams(), *, clock: Callable[[], float] = time.monotonic,
                 on_ban: Callable[[str], None] | None = None) -> None:
        self.params = params
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self.on_ban = on_ban

    def score(self, peer_id: str) -> float:
        entry = self._entries.get(peer_id)
        return 0.0 if entry is None else self._recovered(entry, self._clock())

    def penalize(self, peer_id: str, offence: Offence) -> bool:
        """Lower the peer's score; True if this pushed it under the threshold (a new ban)."""
        now = self._clock()
        entry = self._entries.setdefault(peer_id, _Entry(0.0, now))
        if entry.banned_until > now:
            return False
        entry.score = self._recovered(entry, now) - PENALTY[offence]
        entry.updated = now
        if entry.score > self.params.ban_threshold:
            return False
        entry.banned_until = now + self.params.cooldown
        entry.score = 0.0  # A fresh start once the cool-down is served.
        if self.on_ban is not None:
            self.on_ban(peer_id)
        return True

    def is_banned(self, peer_id: str) -> bool:
        entry = self._entries.get(peer_id)
        return entry is not None and entry.banned_until > self._clock()

    def ban_remaining(self, peer_id: str) -> float:
        """Seconds left of the peer's cool-down (0 if not banned)."""
        entry = self._entries.get(peer_id)
        return 0.0 if entry is None else max(0.0, entry.banned_until - self._clock())

    def _recovered(self, entry: _Entry, now: float) -> float:
        return min(0.0, entry.score + (now - entry.updated) * self.params.recovery_per_second)
