"""`python -m hbmcycle` runs the command line."""

from hbmcycle.cli import run

run()
