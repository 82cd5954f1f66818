"""The ``taskmaestro`` command line (also ``python -m taskmaestro``); see the README.

- ``app``: the argument parser, ``main``, exit statuses, one-line errors;
- ``commands``: ``run``, ``check``, ``graph`` and ``schema``;
- ``report``: what ``run`` prints about the finished job, as text or JSON.
"""

from .app import main

__all__ = ["main"]
