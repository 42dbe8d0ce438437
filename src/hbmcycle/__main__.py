"""`python -m hbmcycle` runs the command line."""

from hbmcycle.cli import app

app(prog_name="hbmcycle")
