"""``python -m planbook``: the same as the ``planbook`` command."""

from planbook.cli import main

if __name__ == "__main__":
    main()
