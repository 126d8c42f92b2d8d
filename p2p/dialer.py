"""Persistent peers: keep one live connection to each, re-dialling with backoff when it drops.

py-libp2p 0.8.1's own auto-connector did not reconnect an isolated node, so this loop is ours. It checks
live connections itself (the library lists dead ones for a while and `connect()` is then a silent no-op
that does not yield) and sleeps on every path, so it can never spin.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable

import trio
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from multiaddr import Multiaddr

from p2p.compat import forget_failed_dial, live_connections
from p2p.scores import PeerScores

log = logging.getLogger(__name__)

FIRST_BACKOFF = 0.25
MAX_BACKOFF = 2.0  # also bounds how long a healed partition waits for the redial
JITTER = 0.2
DIAL_TIMEOUT = 5.0
RECHECK_INTERVAL = 1.0  # re-check a connected peer this often even without a disconnect event
STALE_CONNECTION_WAIT = 0.2  # lets the library drop a dead connection it still lists


class ConnectionWatch(INotifee):
    """Swarm notifee: wakes a peer's dial loop on disconnect and reports every new connection."""

    def __init__(self, on_connected: Callable[[ID], None]) -> None:
        self._on_connected = on_connected
        self._disconnected: dict[ID, trio.Event] = {}

    def next_disconnect(self, peer_id: ID) -> trio.Event:
        return self._disconnected.setdefault(peer_id, trio.Event())

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        self._on_connected(conn.muxed_conn.peer_id)

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        event = self._disconnected.pop(conn.muxed_conn.peer_id, None)
        if event is not None:
            event.set()

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def listen(self, network: INetwork, multiaddr: Multiaddr) -> None:
        pass

    async def listen_close(self, network: INetwork, multiaddr: Multiaddr) -> None:
        pass


async def keep_connected(host: IHost, watch: ConnectionWatch, peer: PeerInfo, scores: PeerScores) -> None:
    """Runs until cancelled; a banned peer is left alone until its cool-down ends."""
    network = host.get_network()
    backoff = FIRST_BACKOFF
    while True:
        remaining_ban = scores.ban_remaining(peer.peer_id.to_base58())
        if remaining_ban > 0:
            await trio.sleep(remaining_ban)
            continue
        if live_connections(network, peer.peer_id):
            backoff = FIRST_BACKOFF
            with trio.move_on_after(RECHECK_INTERVAL):
                await watch.next_disconnect(peer.peer_id).wait()
            continue
        forget_failed_dial(network, peer.peer_id)
        try:
            with trio.fail_after(DIAL_TIMEOUT):
                await host.connect(peer)
        except Exception as exc:  # Refused, unreachable, handshake failed, timed out: all mean "later".
            log.debug("dial %s failed: %s: %s", peer.peer_id, type(exc).__name__, exc)
            await trio.sleep(backoff * random.uniform(1 - JITTER, 1 + JITTER))
            backoff = min(2 * backoff, MAX_BACKOFF)
            continue
        if not live_connections(network, peer.peer_id):
            await trio.sleep(STALE_CONNECTION_WAIT)
