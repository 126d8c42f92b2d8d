"""The provider agent: bids on market jobs and runs the won ones as sandboxed local processes."""
