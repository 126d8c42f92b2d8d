"""The compute market: providers with collateral, jobs, bids, deterministic selection, leases,
receipts, verification verdicts, settlement and penalties. Escrow, verify and reputation are
sibling modules that this one drives."""
