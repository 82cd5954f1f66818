"""The YAML workflow loader's internals; the public surface is ``taskmaestro.loader``
(and 0.1.0's ``taskmaestro.yaml_config``, which adds the schema as pydantic models).

- ``source``: one file read into YAML nodes that keep their marks, within limits;
- ``shapes``: a tiny declarative language for what a node must look like;
- ``format``: the workflow file format, declared once with ``shapes``;
- ``imports``: dotted paths to classes, modules beside the file first;
- ``hooks``: hooks built from their entries, params checked against the constructor;
- ``inputs``: the input file, flat or per task;
- ``build``: from the checked file to builder calls, job, runner and context;
- ``locate``: pointing at the node that an error of the core concerns;
- ``apart``: every task's wiring problems, each task built apart;
- ``core``: the loader's only reads of the core's internals.
"""
