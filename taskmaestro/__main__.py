"""``python -m taskmaestro``: the command line of the ``taskmaestro`` script."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
