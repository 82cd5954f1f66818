"""The YAML workflow loader's internals; the public surface is ``taskmaestro.loader``.

- ``source``: one file read into YAML nodes that keep their marks, within limits;
- ``shapes``: a tiny declarative language for what a node must look like;
- ``format``: the workflow file format, declared once with ``shapes``;
- ``imports``: dotted paths to classes, modules beside the file first;
- ``hooks``, ``inputs``, ``build``: from the checked file to runner, job and workflow.
"""
