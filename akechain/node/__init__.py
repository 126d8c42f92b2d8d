"""The node process: assembly, network use, mempool, config and home, and the HTTP API."""
