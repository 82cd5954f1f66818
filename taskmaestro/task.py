"""``Task[I, O]``: a typed unit of work over Pydantic models."""

from __future__ import annotations

import typing
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Generic, get_args, get_origin

from pydantic import BaseModel
from typing_extensions import TypeVar

from . import _contract as contract
from ._contract import snake_case
from ._timeouts import timeout_problem
from .cache import CachePolicy, cache_policy_problem
from .context import ExecutionContext
from .exceptions import WorkflowDefinitionError
from .retry import Retry, retry_problem

__all__ = [
    "I",
    "O",
    "Task",
    "check_task_settings",
    "get_input_type",
    "get_output_type",
    "retry_of",
    "task_models",
]

InT = TypeVar("InT", bound=BaseModel, default=Any)
OutT = TypeVar("OutT", bound=BaseModel, default=Any)
# taskmaestro 0.1.0's names for the two type variables: the same objects at run time.
if TYPE_CHECKING:
    I = TypeVar("I", bound=BaseModel, default=Any)  # noqa: E741
    O = TypeVar("O", bound=BaseModel, default=Any)  # noqa: E741
else:
    I = InT  # noqa: E741
    O = OutT  # noqa: E741


class Task(ABC, Generic[InT, OutT]):
    """A unit of work: ``run`` turns an ``InT`` model into an ``OutT`` model.

    Declare the models as type arguments (``class Load(Task[Path, Grid])``), or,
    on a bare ``Task`` subclass, as nested ``Inputs`` and ``Outputs`` models.

    ``name`` is the default instance name in a workflow: the class name in
    snake_case (``LoadModel`` -> ``load_model``) unless the class sets its own.
    The runner creates one instance per task per run and sets the instance's
    ``name`` to the instance name it is registered under.
    ``timeout_seconds`` bounds one run of the task (``None``: no bound); with
    retries, each attempt.

    Retries (see ``taskmaestro.retry``): ``retries`` more attempts after a
    failed one whose error is an instance of one of ``retry_on``, each after
    ``retry_delay_seconds * retry_backoff ** (n - 1)`` seconds.
    The result cache (see ``taskmaestro.cache``): ``cache = True`` (or a
    ``CachePolicy``) serves the output stored for the same input and code when
    the runner has a cache; ``cache_version`` names the code's version (default:
    a digest of the class's source).
    """

    name: str = "task"
    timeout_seconds: ClassVar[float | None] = None
    retries: ClassVar[int] = 0
    retry_delay_seconds: ClassVar[float] = 0.0
    retry_backoff: ClassVar[float] = 1.0
    retry_on: ClassVar[tuple[type[BaseException], ...]] = (Exception,)
    cache: ClassVar[bool | CachePolicy] = False
    cache_version: ClassVar[str | None] = None
    __taskmaestro_models__: ClassVar[tuple[object, object]] = (None, None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = snake_case(cls.__name__)
        check_timeout(cls)
        check_task_settings(cls)
        models = _declared_models(cls)
        for role, model in zip(("input", "output"), models, strict=True):
            if model is not None and not _is_model_class(model):
                raise TypeError(
                    f"Task {cls.__qualname__}: its {role} model must be a pydantic BaseModel "
                    f"subclass, got {model!r}"
                )
        cls.__taskmaestro_models__ = models

    @abstractmethod
    def run(self, input: InT, ctx: ExecutionContext) -> OutT:
        """Do the work for one input and return the output model."""


def check_timeout(task_cls: type[Task[Any, Any]]) -> None:
    """Refuse a ``timeout_seconds`` that is no valid number of seconds (nor ``None``)."""
    problem = timeout_problem(task_cls.timeout_seconds)
    if problem is not None:
        raise WorkflowDefinitionError(f"Task {task_cls.__qualname__}: {problem}")


_MEMO_LIMIT = 4096
"""The most entries each memo below keeps: classes made at run time come and go."""

_SETTINGS_OK: dict[type, tuple[object, ...]] = {}
"""The retry and cache settings ``check_task_settings`` last accepted, per class: a
program adds the same few classes again and again (issue 13.5: build cost). They may
change after the class is made, so each check compares them, by identity: ``True == 1``,
but ``retries=True`` is refused."""


def check_task_settings(task_cls: type[Task[Any, Any]]) -> None:
    """Refuse retry and cache class attributes of the wrong type or out of range."""
    cache, version, retries = task_cls.cache, task_cls.cache_version, task_cls.retries
    delay, backoff, retry_on = (
        task_cls.retry_delay_seconds,
        task_cls.retry_backoff,
        task_cls.retry_on,
    )
    seen = _SETTINGS_OK.get(task_cls)
    if (
        seen is not None
        and seen[0] is cache
        and seen[1] is version
        and seen[2] is retries
        and seen[3] is delay
        and seen[4] is backoff
        and seen[5] is retry_on
    ):
        return
    _check_settings(task_cls)
    if len(_SETTINGS_OK) >= _MEMO_LIMIT:
        _SETTINGS_OK.clear()
    _SETTINGS_OK[task_cls] = (cache, version, retries, delay, backoff, retry_on)


def _check_settings(task_cls: type[Task[Any, Any]]) -> None:
    problem = cache_policy_problem(task_cls.cache)
    version = task_cls.cache_version
    if problem is None and version is not None and not isinstance(version, str):
        problem = f"cache_version must be a string or None; got {version!r}"
    if problem is None:
        problem = retry_problem(
            task_cls.retries,
            task_cls.retry_delay_seconds,
            task_cls.retry_backoff,
            task_cls.retry_on,
        )
    if problem is not None:
        raise WorkflowDefinitionError(f"Task {task_cls.__qualname__}: {problem}")


def retry_of(task_cls: type[Task[Any, Any]]) -> Retry:
    """The retry policy a task class declares with its class attributes."""
    check_task_settings(task_cls)
    return Retry(
        task_cls.retries, task_cls.retry_delay_seconds, task_cls.retry_backoff, task_cls.retry_on
    )


_MODELS: dict[type, tuple[type[BaseModel], type[BaseModel]]] = {}
"""``task_models`` per class: a class's models are fixed when it is made, and a program adds
the same few classes again and again (issue 13.5: build cost)."""


def _spelled(annotation: object) -> str:
    """A subscripted generic task as the plugin spells it: classes by owner, no module
    (a program run as a script is ``__main__`` at run time, not so for mypy)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is not None and args:
        return f"{_spelled(origin)}[{', '.join(_spelled(arg) for arg in args)}]"
    if annotation is Any:
        return "Any"
    if isinstance(annotation, type):
        return annotation.__qualname__.rpartition("<locals>.")[2]
    return repr(annotation)


def task_models(task_cls: type[Task[Any, Any]]) -> tuple[type[BaseModel], type[BaseModel]]:
    """The (input, output) models of a task class, or a clear error if it has none."""
    try:
        return _MODELS[task_cls]
    except (KeyError, TypeError):  # TypeError: not hashable, hence no task class
        pass
    if not (isinstance(task_cls, type) and issubclass(task_cls, Task)):
        origin = get_origin(task_cls)
        generic = isinstance(origin, type) and issubclass(origin, Task)
        spelled = _spelled(task_cls) if generic else repr(task_cls)
        raise WorkflowDefinitionError(f"{spelled} is not a Task subclass")
    input_model, output_model = task_cls.__taskmaestro_models__
    models = _model(task_cls, "input", input_model), _model(task_cls, "output", output_model)
    if len(_MODELS) >= _MEMO_LIMIT:
        _MODELS.clear()
    _MODELS[task_cls] = models
    return models


def get_input_type(task_cls: type[Task[Any, Any]]) -> type[BaseModel]:
    """The input model of a task class; ``TypeError`` if it declares none."""
    return _declared(task_cls, 0)


def get_output_type(task_cls: type[Task[Any, Any]]) -> type[BaseModel]:
    """The output model of a task class; ``TypeError`` if it declares none."""
    return _declared(task_cls, 1)


def _declared(task_cls: type[Task[Any, Any]], index: int) -> type[BaseModel]:
    models = getattr(task_cls, "__taskmaestro_models__", (None, None))
    model = models[index]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    nested = "Inputs" if index == 0 else "Outputs"
    raise TypeError(
        f"Cannot resolve type argument {index} for {getattr(task_cls, '__name__', task_cls)}: "
        f"subclass Task[InputModel, OutputModel] or define a nested {nested} model"
    )


def _model(task_cls: type, role: str, model: object) -> type[BaseModel]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    nested = "Inputs" if role == "input" else "Outputs"
    raise WorkflowDefinitionError(
        contract.NO_MODEL.format(cls=task_cls.__qualname__, role=role, nested=nested)
    )


def _is_model_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _declared_models(cls: type) -> tuple[object, object]:
    """The task's models: Task type arguments first, nested Inputs/Outputs otherwise.

    ``None`` stands for "not declared" (a bare or still generic task class).
    """
    arguments = _task_arguments(cls)
    input_model = arguments[0] if arguments is not None else None
    output_model = arguments[1] if arguments is not None else None
    if not _is_concrete(input_model):
        input_model = getattr(cls, "Inputs", None)
    if not _is_concrete(output_model):
        output_model = getattr(cls, "Outputs", None)
    return input_model, output_model


def _is_concrete(argument: object) -> bool:
    return argument is not None and argument is not Any and not isinstance(argument, typing.TypeVar)


def _task_arguments(cls: type) -> tuple[object, object] | None:
    """Resolve ``Task``'s type arguments through any chain of generic subclasses."""
    pending: list[tuple[type, dict[object, object]]] = [(cls, {})]
    seen: set[type] = set()
    while pending:
        current, substitution = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        bases = current.__dict__.get("__orig_bases__", current.__bases__)
        for base in reversed(bases):
            origin = get_origin(base) or base
            arguments = tuple(_substitute(a, substitution) for a in get_args(base))
            if origin is Task:
                if len(arguments) == 2:
                    return arguments[0], arguments[1]
                return None
            if isinstance(origin, type) and issubclass(origin, Task):
                parameters = getattr(origin, "__parameters__", ())
                pending.append((origin, dict(zip(parameters, arguments, strict=False))))
    return None


def _substitute(argument: object, substitution: dict[object, object]) -> object:
    """``argument`` with a subclass's type arguments put in: ``T`` and ``Batch[T]`` too
    (``class IntPass(Passthrough[int])`` takes ``Batch[int]``, as mypy reads it)."""
    if isinstance(argument, typing.TypeVar):
        return substitution.get(argument, argument)
    metadata = getattr(argument, "__pydantic_generic_metadata__", None)
    parameters = (
        metadata["parameters"] if metadata is not None else getattr(argument, "__parameters__", ())
    )
    if not isinstance(parameters, tuple) or not any(p in substitution for p in parameters):
        return argument
    try:
        return argument[tuple(substitution.get(p, p) for p in parameters)]  # type: ignore[index]
    except TypeError:
        return argument
