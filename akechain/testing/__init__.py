"""Tools for property-testing akechain's state machine with hypothesis (public API).

`SimChain` runs the real app in memory, block by block, with no network and no disk.
"""
from akechain.testing.sim import SimChain

__all__ = ["SimChain"]
