"""Mapped tasks: ``TaskMap`` declares one run per entry of a configured mapping.

An instance added with ``mapped_over=TaskMap(over="files", key_as="name",
value_as="path")`` runs once per entry of the mapping found in the job's
configuration under ``files`` for that instance: each run gets the entry's
key in ``name`` and its value in ``path``. Its output is ``MappedOutput[O]``,
the item outputs by key, in mapping order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, RootModel

from . import _contract as contract

__all__ = ["ErrorMode", "MappedOutput", "TaskMap", "item_name"]

ItemOutT = TypeVar("ItemOutT", bound=BaseModel)

type ErrorMode = Literal["fail_fast", "collect_all"]
"""``fail_fast``: stop at the first failed item; ``collect_all``: attempt every item."""

_ERROR_MODES = ("fail_fast", "collect_all")


@dataclass(frozen=True, slots=True)
class TaskMap:
    """Where a mapped instance finds its items, and which input fields receive them."""

    over: str
    key_as: str
    value_as: str
    error_mode: ErrorMode = "fail_fast"

    def __post_init__(self) -> None:
        for attribute in ("over", "key_as", "value_as"):
            value = getattr(self, attribute)
            if not isinstance(value, str) or not value:
                raise ValueError(f"TaskMap.{attribute} must be a non-empty string, got {value!r}")
        if self.key_as == self.value_as:
            raise ValueError(contract.MAP_SAME_FIELDS.format(field=self.key_as))
        if self.error_mode not in _ERROR_MODES:
            raise ValueError(
                f"TaskMap.error_mode must be 'fail_fast' or 'collect_all', got {self.error_mode!r}"
            )


class MappedOutput(RootModel[dict[str, ItemOutT]], Generic[ItemOutT]):
    """The output of a mapped instance: each item's output by item key, in item order."""


_QUOTED = frozenset("[]'\"\\")


def item_name(task: str, key: str) -> str:
    """The name of item ``key`` of mapped instance ``task``: ``task[key]``.

    A key that is empty, not printable or holds a bracket, quote or backslash is
    written as a Python string literal (``task['a]b']``): a plain key never starts
    with a quote, so every name reads back to one task and one key.
    """
    if key and key.isprintable() and _QUOTED.isdisjoint(key):
        return f"{task}[{key}]"
    return f"{task}[{key!r}]"
