"""Native modules: one package each (messages, keeper, params, genesis, invariants)."""
