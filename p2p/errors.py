"""Typed errors of the networking layer: callers catch these, never libp2p's own exceptions."""
from __future__ import annotations


class P2PError(Exception):
    """Base of every error raised by `p2p`."""


class NotRunning(P2PError):
    """The host is not (yet, or any more) running: start `Host.run` first."""


class BadPeerAddress(P2PError):
    """A persistent peer that is not a full multiaddr ending in /p2p/<peer id>."""


class UnknownTopic(P2PError):
    """A topic that was never registered with `Gossip.add_topic`."""


class UnknownProtocol(P2PError):
    """A request protocol that was never registered with `ReqResp.add_protocol`."""


class PayloadTooLarge(P2PError):
    """A payload over its cap; refused before anything is sent."""


class BadRequest(P2PError):
    """Raised by a request handler for a request that is junk: the sender is scored down."""


class RequestError(P2PError):
    """A request that got no usable response."""


class RequestTimeout(RequestError):
    """No response within the timeout; the stream was reset."""


class RequestFailed(RequestError):
    """The peer could not be dialled, or reset or closed the stream."""


class ResponseTooLarge(RequestError):
    """The peer's response exceeded the protocol's `max_response`."""


class RemoteError(RequestError):
    """The peer's handler failed (or refused the request) and said so."""
