"""Long-running market participants (provider, verifier, consumer) and the sandbox they share."""
