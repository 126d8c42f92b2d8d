"""The node's networking as one object: a libp2p host (TCP, Noise, yamux), gossip, request/response, scores.

    host = Host(seed, port=26656, persistent_peers=["/ip4/127.0.0.1/tcp/26658/p2p/12D3Koo..."])
    host.gossip.add_topic("/ake/devnet/tx", max_size=256 << 10, validate=check_tx)   # before run
    host.reqresp.add_protocol("/ake/sync/1.0.0", serve_sync, max_request=1 << 10, max_response=8 << 20)
    txs = host.gossip.subscribe("/ake/devnet/tx")       # channel of (data, origin peer id)
    await nursery.start(host.run)                       # listening and dialling once this returns
    await host.gossip.publish("/ake/devnet/tx", data)   # PayloadTooLarge over the topic's cap
    reply = await host.reqresp.request(peer_id, "/ake/sync/1.0.0", b"...", timeout=5)

`run` runs until cancelled; a Host runs once (to restart, build a new one from the same seed and port:
the peer id is derived from the seed). Junk from a peer (invalid or oversize gossip, oversize or refused
requests, malformed frames) lowers its score in `host.scores`; under the threshold the peer is
disconnected, its gossip ignored and it is not re-dialled until its cool-down ends.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_key_pair
from libp2p.network.config import ConnectionConfig
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID, PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.tools.anyio_service import background_trio_service
from multiaddr import Multiaddr

from p2p.compat import (bound_peer_queues_by_bytes, close_swarm, deadline_pubsub_writes, guard_malformed_frames,
                        live_connections, safe_blacklist_teardown, unique_seqnos_across_restarts)
from p2p.dialer import ConnectionWatch, keep_connected
from p2p.errors import BadPeerAddress, NotRunning, P2PError
from p2p.flow import PeerFlow
from p2p.gossip import Gossip
from p2p.identity import key_pair_from_seed, peer_id_from_seed
from p2p.reqresp import ReqResp
from p2p.scores import Offence, PeerScores, ScoreParams

__all__ = ["Host"]

log = logging.getLogger(__name__)

WAIT_POLL = 0.05
DISCONNECT_TIMEOUT = 5.0
TEARDOWN_TIMEOUT = 5.0


class Host:
    def __init__(self, seed: bytes, *, port: int = 0, listen_host: str = "127.0.0.1",
                 persistent_peers: Sequence[str] = (), score_params: ScoreParams = ScoreParams()) -> None:
        key_pair = key_pair_from_seed(seed)
        self.peer_id = peer_id_from_seed(seed)
        self._persistent = [peer for peer in map(_parse_peer, persistent_peers)
                            if peer.peer_id.to_base58() != self.peer_id]
        self._listen = Multiaddr(f"/ip4/{listen_host}/tcp/{port}")
        self._libp2p: IHost = new_host(
            key_pair=key_pair,
            # The default also offers TLS, SECIO and plaintext: pin Noise (it needs its own x25519 key).
            sec_opt={NOISE_ID: NoiseTransport(key_pair, noise_privkey=new_x25519_key_pair().private_key)},
            muxer_preference="YAMUX",
            # The library's auto-connector would also dial banned peers from the peerstore (and did not
            # reconnect an isolated node in tests): persistent peers are kept by p2p.dialer alone.
            connection_config=ConnectionConfig(min_connections=0, low_watermark=0),
        )
        self._gossipsub = GossipSub(
            [PROTOCOL_ID_V11, PROTOCOL_ID],  # v1.2 (IDONTWANT) halved throughput in measurements
            degree=6, degree_low=4, degree_high=12,
            heartbeat_interval=1,  # default 120 s: slow mesh repair after churn
            spam_protection_enabled=False,  # default drops > 10 msgs/s per peer and topic; PeerScores instead
        )
        bound_peer_queues_by_bytes()
        self._pubsub = Pubsub(self._libp2p, self._gossipsub)
        unique_seqnos_across_restarts(self._pubsub)
        guard_malformed_frames(self._pubsub, self._on_malformed_frame)
        safe_blacklist_teardown(self._pubsub)
        self._drops_send, self._drops_receive = trio.open_memory_channel[str](math.inf)
        # Hung peers (a pubsub write past its deadline) are disconnected, not banned: p2p.dialer re-dials them.
        self._hung_send, self._hung_receive = trio.open_memory_channel[ID](math.inf)
        self.flow = PeerFlow(trio.current_time)
        deadline_pubsub_writes(self._pubsub, self.flow, self._hung_send.send_nowait)
        self.scores = PeerScores(score_params, on_ban=self._drops_send.send_nowait)
        self._watch = ConnectionWatch(on_connected=self._on_connected)
        self._libp2p.get_network().register_notifee(self._watch)
        self.gossip = Gossip(self._pubsub, self.scores, self.flow)
        self.reqresp = ReqResp(self._libp2p, self.scores)
        self._listen_addr: str | None = None
        self._started = False

    @property
    def listen_addr(self) -> str:
        """The full multiaddr peers dial, /ip4/…/tcp/<real port>/p2p/<peer id>."""
        if self._listen_addr is None:
            raise NotRunning("listen_addr is known once Host.run has started")
        return self._listen_addr

    @property
    def libp2p(self) -> IHost:
        """The underlying py-libp2p host, for diagnostics and tests that play a misbehaving peer."""
        return self._libp2p

    def connected_peers(self) -> list[str]:
        network = self._libp2p.get_network()
        return sorted(peer.to_base58() for peer in list(network.connections) if live_connections(network, peer))

    async def wait_for_peers(self, peer_ids: Sequence[str], timeout: float) -> None:
        """Return once all are connected; raises trio.TooSlowError after timeout."""
        with trio.fail_after(timeout):
            while not set(peer_ids) <= set(self.connected_peers()):
                await trio.sleep(WAIT_POLL)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen, keep persistent peers connected and serve gossip and requests until cancelled."""
        if self._started:
            raise P2PError("a Host runs once: build a new one (same seed and port) to restart")
        self._started = True
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            try:
                await nursery.start(self._run_libp2p, stop)
                task_status.started()
                await trio.sleep_forever()
            finally:
                stop.set()

    async def _run_libp2p(self, stop: trio.Event, *, task_status: trio.TaskStatus[None]) -> None:
        """The libp2p services, stopped by `stop` rather than by cancellation: see compat.close_swarm.

        The deadline set on stop keeps a stuck teardown from hanging the caller.
        """
        with trio.CancelScope(shield=True) as shield:
            try:
                # Pubsub and GossipSub start before the libp2p host so that they stop after it; the other
                # order fails at shutdown with "Nursery is closed to new arrivals" (py-libp2p 0.8.1).
                async with background_trio_service(self._pubsub), background_trio_service(self._gossipsub), \
                        self._libp2p.run([self._listen]):
                    await self._pubsub.wait_until_ready()
                    self._listen_addr = str(self._libp2p.get_addrs()[0])
                    async with trio.open_nursery() as nursery:
                        await nursery.start(self.gossip.run)
                        nursery.start_soon(self._drop_banned_peers, nursery)
                        nursery.start_soon(self._drop_hung_peers, nursery)
                        for peer in self._persistent:
                            nursery.start_soon(keep_connected, self._libp2p, self._watch, peer, self.scores)
                        task_status.started()
                        await stop.wait()
                        shield.deadline = trio.current_time() + TEARDOWN_TIMEOUT
                        nursery.cancel_scope.cancel()
            finally:
                self._listen_addr = None
                await close_swarm(self._libp2p)

    def _on_malformed_frame(self, peer: ID) -> None:
        self.scores.penalize(peer.to_base58(), Offence.MALFORMED_FRAME)

    def _on_connected(self, peer: ID) -> None:
        if self.scores.is_banned(peer.to_base58()):
            self._drops_send.send_nowait(peer.to_base58())

    async def _drop_banned_peers(self, nursery: trio.Nursery) -> None:
        """Disconnect each banned peer (newly banned, or connecting during its cool-down)."""
        async for peer_id in self._drops_receive:
            peer = ID.from_base58(peer_id)
            log.warning("dropping peer %s (score under threshold) for %.0f s", peer_id,
                        self.scores.ban_remaining(peer_id))
            self._pubsub.add_to_blacklist(peer)
            nursery.start_soon(self._lift_ban, peer)
            await self._disconnect(peer)

    async def _drop_hung_peers(self, nursery: trio.Nursery) -> None:
        async for peer in self._hung_receive:
            nursery.start_soon(self._disconnect, peer)

    async def _disconnect(self, peer: ID) -> None:
        """Bounded: closing a hung connection may itself block on writes."""
        with trio.move_on_after(DISCONNECT_TIMEOUT):
            try:
                await self._libp2p.disconnect(peer)
            except Exception as exc:  # Already gone: that is what we wanted.
                log.debug("disconnect %s: %s: %s", peer, type(exc).__name__, exc)

    async def _lift_ban(self, peer: ID) -> None:
        await trio.sleep(self.scores.ban_remaining(peer.to_base58()))
        if not self.scores.is_banned(peer.to_base58()):
            self._pubsub.remove_from_blacklist(peer)


def _parse_peer(address: str) -> PeerInfo:
    try:
        return info_from_p2p_addr(Multiaddr(address))
    except Exception as exc:  # multiaddr and libp2p raise several types for a bad address
        raise BadPeerAddress(f"persistent peer {address!r}: {exc}") from exc
