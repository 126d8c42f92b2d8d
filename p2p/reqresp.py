"""Request/response over libp2p streams, for what does not fit gossip (status, block ranges by height).

Wire format, per protocol id: the requester writes a varint-length-prefixed request; the server answers a
varint-length-prefixed frame of one status byte (0 = ok, 1 = error) and the body (the response, or an
error text). Several requests may follow on one stream, strictly one after the other; idle streams are
pooled per (peer, protocol) and reused, and concurrent requests to one peer open extra streams.
Both sides register the protocol with the same limits (`add_protocol`), which is how the requester knows
`max_response`. A request over `max_request` or one the handler refuses with `BadRequest` scores the
sender down; a handler that crashes only produces a `RemoteError` at the requester.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import trio
from libp2p.abc import IHost, INetStream
from libp2p.custom_types import TProtocol
from libp2p.exceptions import ParseError
from libp2p.io.exceptions import IOException, MessageTooLarge
from libp2p.peer.id import ID
from libp2p.utils.varint import encode_varint_prefixed, read_varint_prefixed_bytes_limited

from p2p.errors import (BadRequest, PayloadTooLarge, RemoteError, RequestFailed, RequestTimeout, ResponseTooLarge,
                        UnknownProtocol)
from p2p.scores import Offence, PeerScores

log = logging.getLogger(__name__)

Handler = Callable[[bytes, str], Awaitable[bytes]]

STATUS_OK = 0
STATUS_ERROR = 1
IDLE_TIMEOUT = 60.0  # a served stream with no request for this long is closed
POOL_SIZE = 4  # idle streams kept per (peer, protocol)
RESET_TIMEOUT = 1.0
MAX_ERROR_TEXT = 200


@dataclass(frozen=True, slots=True)
class Endpoint:
    protocol_id: TProtocol
    handler: Handler
    max_request: int
    max_response: int


class ReqResp:
    """Protocol registry, server side (one task per inbound stream, run by libp2p) and client side."""

    def __init__(self, host: IHost, scores: PeerScores) -> None:
        self._host = host
        self._scores = scores
        self._endpoints: dict[str, Endpoint] = {}
        self._idle: dict[tuple[ID, str], list[INetStream]] = {}

    def add_protocol(self, protocol_id: str, handler: Handler, *, max_request: int, max_response: int) -> None:
        if max_request <= 0 or max_response <= 0:
            raise ValueError(f"{protocol_id}: max_request and max_response must be positive")
        endpoint = Endpoint(TProtocol(protocol_id), handler, max_request, max_response)
        self._endpoints[protocol_id] = endpoint
        self._host.set_stream_handler(endpoint.protocol_id, partial(self._serve, endpoint))

    async def request(self, peer_id: str, protocol_id: str, payload: bytes, timeout: float) -> bytes:
        """The peer's response; raises a `RequestError` subclass, or `PayloadTooLarge` before sending."""
        endpoint = self._endpoints.get(protocol_id)
        if endpoint is None:
            raise UnknownProtocol(f"{protocol_id} was never registered with add_protocol")
        if len(payload) > endpoint.max_request:
            raise PayloadTooLarge(f"{protocol_id} request of {len(payload)} B is over max_request {endpoint.max_request}")
        with trio.move_on_after(timeout) as deadline:
            frame = await self._exchange(ID.from_base58(peer_id), endpoint, payload)
        if deadline.cancelled_caught:
            raise RequestTimeout(f"{protocol_id} to {peer_id}: no response within {timeout} s")
        if frame[0] == STATUS_OK:
            return frame[1:]
        raise RemoteError(f"{protocol_id} at {peer_id}: {frame[1:].decode(errors='replace')}")

    async def _exchange(self, peer: ID, endpoint: Endpoint, payload: bytes) -> bytes:
        """One request on a pooled stream; a pooled stream found dead is dropped and the request retried once."""
        pool = self._idle.setdefault((peer, endpoint.protocol_id), [])
        while True:
            reused = bool(pool)
            stream = pool.pop() if reused else await self._open(peer, endpoint)
            done = False
            try:
                await stream.write(encode_varint_prefixed(payload))
                frame = await read_varint_prefixed_bytes_limited(stream, endpoint.max_response + 1)
                done = True
            except MessageTooLarge as exc:
                raise ResponseTooLarge(f"{endpoint.protocol_id} at {peer}: over max_response "
                                       f"{endpoint.max_response}: {exc}") from exc
            except (IOException, ParseError) as exc:
                if not reused:
                    raise RequestFailed(f"{endpoint.protocol_id} at {peer}: {type(exc).__name__}: {exc}") from exc
                continue
            finally:
                if not done:  # Timed out, failed or oversize: the stream is out of step, never reuse it.
                    await _reset(stream)
            if not frame:
                raise RequestFailed(f"{endpoint.protocol_id} at {peer}: empty response frame")
            if len(pool) < POOL_SIZE:
                pool.append(stream)
            else:
                await stream.close()
            return frame

    async def _open(self, peer: ID, endpoint: Endpoint) -> INetStream:
        try:
            return await self._host.new_stream(peer, [endpoint.protocol_id])
        except Exception as exc:  # Dial and negotiation failures come as many libp2p types.
            raise RequestFailed(f"cannot open {endpoint.protocol_id} to {peer}: {type(exc).__name__}: {exc}") from exc

    async def _serve(self, endpoint: Endpoint, stream: INetStream) -> None:
        peer = stream.muxed_conn.peer_id.to_base58()
        try:
            while not self._scores.is_banned(peer):
                request = None
                with trio.move_on_after(IDLE_TIMEOUT):
                    request = await read_varint_prefixed_bytes_limited(stream, endpoint.max_request)
                if request is None:
                    break
                await stream.write(encode_varint_prefixed(await self._respond(endpoint, request, peer)))
        except MessageTooLarge:
            self._scores.penalize(peer, Offence.OVERSIZE)
        except ParseError:
            self._scores.penalize(peer, Offence.MALFORMED_FRAME)
        except IOException:
            pass  # The requester closed or reset the stream: the normal end of a session.
        await _reset(stream)

    async def _respond(self, endpoint: Endpoint, request: bytes, peer: str) -> bytes:
        try:
            response = await endpoint.handler(request, peer)
        except BadRequest as exc:
            self._scores.penalize(peer, Offence.BAD_REQUEST)
            return _error(f"bad request: {exc}")
        except Exception as exc:  # A handler bug must not take the host down; the requester learns of it.
            log.exception("%s handler failed on a request from %s", endpoint.protocol_id, peer)
            return _error(f"handler failed: {type(exc).__name__}")
        if len(response) > endpoint.max_response:
            log.error("%s handler gave %d B, over max_response %d", endpoint.protocol_id, len(response),
                      endpoint.max_response)
            return _error("response over max_response")
        return bytes([STATUS_OK]) + response


def _error(text: str) -> bytes:
    return bytes([STATUS_ERROR]) + text[:MAX_ERROR_TEXT].encode()


async def _reset(stream: INetStream) -> None:
    """Reset even from a cancelled scope (a timed-out request), but never hang on it."""
    with trio.CancelScope(shield=True), trio.move_on_after(RESET_TIMEOUT):
        try:
            await stream.reset()
        except Exception:  # Already closed or reset by the peer: nothing left to release.
            pass
