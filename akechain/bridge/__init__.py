"""The EVM bridge's off-chain side: the contract artifact, deployment, orchestrator and relayer."""
