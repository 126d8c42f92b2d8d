"""The deterministic state machine: app, codec, txs, genesis, the module descriptor and the modules.

Nothing here reads a clock, randomness, the network or the disk (tests/test_layering.py holds it).
"""
