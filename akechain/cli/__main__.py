"""`python -m akechain.cli` runs the command line."""
from akechain.cli.main import main

main()
