"""`python -m akechain.cli` runs the command line."""
from akechain.cli.main import main

if __name__ == "__main__":  # not when a spawned worker process (the node's signature pool) imports it
    main()
