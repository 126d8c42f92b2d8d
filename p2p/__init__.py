"""Networking for an appchain node, knowing nothing of the chain: every payload is opaque bytes.

host.py (Host: the one object a node uses) · gossip.py (GossipSub topics) · reqresp.py (request/response
streams) · scores.py (PeerScores) · dialer.py (persistent peers) · identity.py (node key -> peer id) ·
compat.py (py-libp2p 0.8.1 workarounds) · errors.py (typed errors).
"""
