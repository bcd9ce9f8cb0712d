"""``python -m potashsim``: the command line."""

from potashsim.cli import main

main()
