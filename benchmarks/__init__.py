"""Benchmarks of taskmaestro (issue 6): ``make bench``, or ``python -m benchmarks``.

Each group is a module with ``run(smoke: bool) -> Group``: ``build``,
``overhead`` (the runner), ``yaml_load``, ``typecheck`` (mypy and the plugin)
and ``parallel`` (the executors). ``_measure`` times them (interleaved rounds,
medians with their spread, per-round ratios), ``_generate`` writes their
generated inputs and ``_report`` prints the table and writes ``results.json``.
"""
