"""``python -m govkg``: the same as the ``govkg`` command."""

from .cli import main

main()
