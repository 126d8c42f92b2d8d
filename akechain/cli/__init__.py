"""The `akechain` command line: command groups and the devnet."""
from akechain.cli.main import main

__all__ = ["main"]
