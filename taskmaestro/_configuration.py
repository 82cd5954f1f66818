"""``JobConfiguration``: the static input values of a job's tasks, by task instance name.

It sits below the graph so that a nested-workflow node can carry the
JobConfiguration its inner workflow runs with; ``taskmaestro.job`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from .exceptions import WorkflowDefinitionError

__all__ = ["JobConfiguration"]


class JobConfiguration(Mapping[str, Mapping[str, object]]):
    """Static input values per task instance: ``{"task_name": {"field": value}}``.

    A task takes from here exactly the fields it lists in ``config_fields``;
    they override values wired from upstream tasks.
    """

    def __init__(self, config: Mapping[str, Mapping[str, object]] | None = None) -> None:
        copied: dict[str, Mapping[str, object]] = {}
        for task, fields in (config or {}).items():
            if not isinstance(task, str) or not isinstance(fields, Mapping):
                raise WorkflowDefinitionError(
                    "JobConfiguration maps task names to {field: value} dicts; "
                    f"got {task!r}: {fields!r}"
                )
            copied[task] = MappingProxyType(dict(fields))
        self._values = copied

    def get_config_for_task(self, name: str) -> dict[str, object]:
        """A new dict of the values given for task ``name`` (``{}`` if none)."""
        return dict(self._values.get(name, {}))

    def configured_tasks(self) -> set[str]:
        """The names of the tasks that have values."""
        return set(self._values)

    def config_fields_for_task(self, name: str) -> set[str]:
        """The field names given for task ``name`` (empty if none)."""
        return set(self._values.get(name, {}))

    def __getitem__(self, task: str) -> Mapping[str, object]:
        return self._values[task]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"JobConfiguration({ {k: dict(v) for k, v in self._values.items()}!r})"
