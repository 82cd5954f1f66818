"""Benchmarks of taskmaestro: each module exposes ``run(smoke: bool) -> dict[str, object]``."""
