"""Distribution: the fee and emission split, validator and delegator rewards, the treasury."""
