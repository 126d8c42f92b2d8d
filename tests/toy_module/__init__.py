"""A toy module, as a module author would write one: messages, a handler, params, genesis, an
invariant and a query, declared in `module.MODULE`. Adding it to a chain is one list entry
(`Registry(MODULES + (MODULE,))`); tests/test_registry.py runs it."""
