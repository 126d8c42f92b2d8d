"""Escrow accounts per job: deposits from several depositors, per-lease payment streams that are
exact at every height, a height-ordered queue of run-out and grace events, pro-rata refunds."""
