"""Per-provider reputation: an integer EWMA in basis points with a bounded history."""
