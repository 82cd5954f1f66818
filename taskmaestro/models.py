"""Ready-made models: the empty job config and ``ObjectModel[T]``."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["EmptyConfig", "ObjectModel"]

T = TypeVar("T")


class EmptyConfig(BaseModel):
    """The job config of a workflow whose roots take all input from a JobConfiguration."""

    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True, extra="forbid")


class ObjectModel(BaseModel, Generic[T]):
    """A model that carries an arbitrary (non-Pydantic) object in ``value``.

    ``ObjectModel[EclipseCase]`` validates ``value`` with ``isinstance``, so gRPC
    handles, connections or clients can flow between tasks. Use it as an alias
    (``GridCase = ObjectModel[EclipseCase]``) or subclass it to add fields.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(arbitrary_types_allowed=True)

    value: T
