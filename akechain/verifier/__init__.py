"""The verifier agent: re-executes spot-checked receipts, challenges mismatches, and referees the
challenges the chain assigns to it."""
