"""``python -m govkg``: the same as the ``govkg`` command."""

from .cli import main

if __name__ == "__main__":
    main()
