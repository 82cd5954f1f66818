"""The wiring contract shared by the runtime and the mypy plugin: names and messages.

Standard library only, and no taskmaestro imports, so that the mypy plugin can
use it without importing the runtime. Every message is a plain ``str.format``
template with named fields; each one contains the key phrase that
taskmaestro 0.1.0 used for the same check (see docs/compatibility.md), followed
by what this project adds: the task, the field, both types and the fix.

Field conventions: ``workflow`` is a described workflow (``describe_workflow``:
"workflow 'etl'" or "the workflow"), ``task``/``source`` instance names,
``model``/``expected``/``provided`` type names as the reader wrote them.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Final

__all__ = [
    "AMBIGUOUS_CLASS",
    "CLASS_NOT_FOUND",
    "COLLECTION_AND_CONFIG",
    "COLLECTION_KEYED_TARGET",
    "COLLECTION_MISMATCH",
    "COLLECTION_NOT_A_FIELD",
    "COLLECTION_POSITIONAL_TARGET",
    "COLLECT_KEY",
    "COLLECT_MAPPING",
    "COLLECT_MEMBER_KIND",
    "COLLECT_MIXED",
    "CONFIG_FIELDS_KIND",
    "CONFIG_FIELDS_NOT_A_LIST",
    "CONFIG_FIELD_NOT_A_STRING",
    "CONFIG_FIELD_NOT_FOUND",
    "CONFIG_INVALID_VALUE",
    "CONFIG_MISSING_VALUES",
    "CONFIG_UNDECLARED_FIELDS",
    "CONFIG_UNKNOWN_TASK",
    "CYCLE",
    "DEPENDS_ON_KIND",
    "DUPLICATE_NAME",
    "FAN_IN_KEY_NOT_A_STRING",
    "FAN_IN_KEY_NOT_FOUND",
    "FAN_IN_TYPE_MISMATCH",
    "FIELD_IS_COMPUTED",
    "FIELD_NOT_FOUND",
    "HANDLE_FIELD_NOT_FOUND",
    "HANDLE_FOREIGN",
    "HANDLE_NOT_REGISTERED",
    "INSTANCE_NAME",
    "INVALID_NAME",
    "JOB_STATE",
    "KEYWORDS_AND_DEPENDS_ON",
    "MAPPED_OVER_KIND",
    "MAP_CONFIG_FIELDS",
    "MAP_DEP_FIELDS",
    "MAP_FIELD_NOT_FOUND",
    "MAP_ITEM_INVALID",
    "MAP_ITEM_KEY",
    "MAP_KEY_NOT_STR",
    "MAP_NAMED_DEPS",
    "MAP_NO_CONFIGURATION",
    "MAP_NO_SOURCE",
    "MAP_REQUIRED",
    "MAP_SAME_FIELDS",
    "MAP_SOURCE_KIND",
    "MAP_UPSTREAM_SPREAD",
    "NESTED_DIFFERENT_ROOTS",
    "NESTED_FAILED",
    "NESTED_NO_ROOT",
    "NOT_REGISTERED",
    "NO_MODEL",
    "NO_TASKS",
    "REQUIRED_FIELD",
    "RESULT_FIELD",
    "RESULT_KIND",
    "RESULT_NOT_FOUND",
    "ROOT_INPUT",
    "SHARED_FIELD_MISMATCH",
    "SINKS",
    "TASK_MAP_INVALID",
    "TYPE_MISMATCH",
    "WRONG_OUTPUT",
    "Code",
    "describe_workflow",
    "find_cycle",
    "format_cycle",
    "model_name",
    "snake_case",
    "unique_name",
]

# -- error codes ---------------------------------------------------------------------------


class Code:
    """One code per kind of violation: the mypy plugin's (``mypy_plugin/codes.py``) and
    ``taskmaestro check``'s for the same rule, so that CI logs read alike."""

    TYPE: Final = "taskmaestro-type"
    FAN_IN_KEY: Final = "taskmaestro-fan-in-key"
    ROUTE: Final = "taskmaestro-route"
    MISSING_INPUT: Final = "taskmaestro-missing-input"
    CONFIG_FIELD: Final = "taskmaestro-config-field"
    REFERENCE: Final = "taskmaestro-reference"
    AMBIGUOUS: Final = "taskmaestro-ambiguous"
    DUPLICATE_NAME: Final = "taskmaestro-duplicate-name"
    INVALID_NAME: Final = "taskmaestro-invalid-name"
    CYCLE: Final = "taskmaestro-cycle"
    RESULT: Final = "taskmaestro-result"
    JOB_CONFIG: Final = "taskmaestro-job-config"
    TASK_MODEL: Final = "taskmaestro-task-model"
    RUN_SIGNATURE: Final = "taskmaestro-run-signature"


# -- names ---------------------------------------------------------------------------------

INSTANCE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
"""W10: what an instance name may be (letters, digits, ``_`` and ``-``; no ``.``, ``/``)."""

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """A task class's default instance name: ``LoadModel`` -> ``load_model``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def unique_name(name: str, taken: MutableMapping[str, int]) -> str:
    """Linear chains may repeat a task class: later instances get ``_2``, ``_3``, ...

    ``taken`` maps each name in use to the last suffix tried with it as a base
    (start with an empty dict), so n copies of one class cost O(n), not O(n^2).
    """
    if name not in taken:
        taken[name] = 1
        return name
    counter = taken[name]
    candidate = name
    while candidate in taken:
        counter += 1
        candidate = f"{name}_{counter}"
    taken[name] = counter
    taken[candidate] = 1
    return candidate


def model_name(model: type) -> str:
    """A model by its qualified name, so nested models read ``Publish.Inputs`` (issue 17.6)."""
    return model.__qualname__.rpartition("<locals>.")[2]


def describe_workflow(name: str | None) -> str:
    """How a workflow reads inside a message: ``workflow 'etl'``, or ``the workflow``."""
    return f"workflow '{name}'" if name is not None else "the workflow"


# -- cycles --------------------------------------------------------------------------------


def find_cycle[N](predecessors: Mapping[N, Iterable[N]]) -> list[N] | None:
    """One cycle of the graph given as ``{node: its upstream nodes}``, closed (first == last).

    ``None`` when there is none. Iterative (``graphlib``): no recursion limit.
    """
    try:
        graphlib.TopologicalSorter(predecessors).prepare()
    except graphlib.CycleError as error:
        found: list[N] = list(error.args[1])  # each node is upstream of the next one
        return found
    return None


def format_cycle(names: Iterable[str]) -> str:
    """``a -> b -> a``."""
    return " -> ".join(names)


# -- build time (section 8 of compat-0.1.md; wiring rules W1-W12) ---------------------------

NO_TASKS = "Cannot build {workflow}: it has no tasks; add at least one task"

NO_MODEL = (
    "Task {cls} has no {role} model: subclass Task[InputModel, OutputModel] or define a "
    "nested {nested} model"
)
DEPENDS_ON_KIND = (
    "Task '{task}': depends_on takes a Task class, a task name, a (task, 'field') tuple or a "
    "dict of those (or their handles; dict values may be collect(...)), got {value!r}"
)
FAN_IN_KEY_NOT_A_STRING = "Fan-in of task '{task}': keys must be input field names, got {key!r}"
CONFIG_FIELDS_NOT_A_LIST = (
    "Task '{task}': config_fields must be a list of field names, not the string {value!r}"
)
CONFIG_FIELDS_KIND = "Task '{task}': config_fields must be a list of field names, got {value!r}"
CONFIG_FIELD_NOT_A_STRING = "Task '{task}': config_fields entries must be strings, got {value!r}"

INVALID_NAME = (
    "Invalid task name {name!r} in {workflow}: use letters, digits, '_' and '-' "
    "(no spaces, dots or path separators)"
)
DUPLICATE_NAME = "Duplicate task name '{name}' in {workflow}; give each instance its own name="
CLASS_NOT_FOUND = (
    "Task class '{cls}' not found in {workflow}: {referrer} refers to it by class, "
    "so add it before that task (or refer to it by instance name)"
)
AMBIGUOUS_CLASS = (
    "Ambiguous reference to task class '{cls}' in {workflow}: {referrer} refers to it by "
    "class, but it is registered as {names}; refer to it by instance name"
)
NOT_REGISTERED = "Task '{task}' depends on '{ref}', which is not registered in {workflow}"
RESULT_NOT_FOUND = "result_task '{ref}' not found: it is not a task of {workflow}"
CYCLE = "Cycle detected involving task '{task}' in {workflow}: {cycle}"
CONFIG_FIELD_NOT_FOUND = (
    "Config field '{field}' not found on {model}: task '{task}' lists it in config_fields, "
    "but it is not a field of its input"
)
TYPE_MISMATCH = "Type mismatch: task '{task}' takes {expected}, but {source} is {provided}"
SHARED_FIELD_MISMATCH = (
    "Type mismatch: {source_task}.{field} is {provided}, but field '{field}' of "
    "task '{task}' input is {expected}"
)
FIELD_NOT_FOUND = (
    "Field '{field}' not found on {model}: task '{task}' routes field '{field}' of "
    "'{source_task}', but {model} has no such field"
)
FIELD_IS_COMPUTED = (
    "Field '{field}' of {model} is a computed field: task '{task}' routes it from "
    "'{source_task}', but a computed field cannot be routed (route a model field, or "
    "compute it in the task)"
)
FAN_IN_KEY_NOT_FOUND = (
    "Fan-in field '{key}' not found on {model}: task '{task}' fans in '{key}', "
    "which is not a field of its input"
)
FAN_IN_TYPE_MISMATCH = (
    "Fan-in type mismatch: field '{key}' of task '{task}' is {expected}, but {source} is {provided}"
)
REQUIRED_FIELD = (
    "Required field '{field}' on {model} of task '{task}' is not mapped to any upstream task "
    "nor listed in config_fields (missing: {missing}); wire it with depends_on or list it "
    "in config_fields"
)
SINKS = (
    "Cannot choose the result of {workflow}: it has {count} sink tasks ({sinks}); "
    "specify result_task explicitly"
)

# -- handles, keyword dependencies and collect() (features-0.4 sections 2 and 3) ----------

HANDLE_FIELD_NOT_FOUND = "Field '{field}' not found on {model} (output of {task})"
HANDLE_FOREIGN = (
    "Task handle belongs to a different workflow builder: {referrer} refers to '{name}', "
    "which another builder registered; use a handle of this builder or the instance name"
)
HANDLE_NOT_REGISTERED = (
    "Task handle '{name}' is not registered in this workflow ({referrer} refers to it)"
)
KEYWORDS_AND_DEPENDS_ON = (
    "Task '{task}': Use either depends_on or keyword input dependencies, not both"
)
RESULT_KIND = "result_task must be a task class, an instance name or a TaskHandle, got {value!r}"
RESULT_FIELD = (
    "result_task must be a task class, an instance name or a TaskHandle, got field '{field}' "
    "of task '{task}' (an OutputHandle): the result is a task's whole output, pass its handle"
)
COLLECT_MIXED = (
    "collect() accepts either positional members or keyword members, not both "
    "(got {positional} positional and keywords {keywords})"
)
COLLECT_MAPPING = (
    "collect() takes either positional members or one mapping of members, "
    "not a mapping among {count} arguments"
)
COLLECT_KEY = "collect() dictionary keys must be strings, got {key!r}"
COLLECT_MEMBER_KIND = (
    "Task '{task}': collect() member {label} of field '{field}' must be a task class, an "
    "instance name, a handle, a (task, 'field') tuple or an output handle, got {value!r}"
)
COLLECTION_NOT_A_FIELD = (
    "Task '{task}': a collect(...) fills one named input field; pass it as a fan-in value "
    "or a keyword, not as the whole depends_on"
)
COLLECTION_POSITIONAL_TARGET = (
    "Positional collection for '{task}.{field}' requires a list[T] field, got {provided}"
)
COLLECTION_KEYED_TARGET = (
    "Keyed collection for '{task}.{field}' requires a dict[str, T] field, got {provided}"
)
COLLECTION_MISMATCH = (
    "Collection type mismatch for '{task}.{field}[{label}]': '{source}' produces {provided}, "
    "but collection element type is {expected}"
)
COLLECTION_AND_CONFIG = (
    "Field '{field}' of task '{task}' is supplied by both a collection dependency and "
    "config_fields; remove it from one of them"
)

# -- mapped tasks (features-0.4 section 4) ---------------------------------------------------

MAPPED_OVER_KIND = "Task '{task}': mapped_over must be a TaskMap, got {value!r}"
MAP_FIELD_NOT_FOUND = (
    "Map field '{field}' not found on {model} (input of '{task}'): key_as and value_as "
    "name input fields"
)
MAP_KEY_NOT_STR = "Map key field '{task}.{field}' must accept strings, but it is {provided}"
MAP_CONFIG_FIELDS = "Mapped task '{task}' fields [{fields}] cannot also be config_fields"
MAP_SAME_FIELDS = "TaskMap.key_as and TaskMap.value_as must be different fields, both are {field!r}"
TASK_MAP_INVALID = "Task '{task}': {problem}"
"""``map_task(...)``'s arguments refused as a ``TaskMap`` (``problem``: what ``TaskMap`` says)."""
MAP_NAMED_DEPS = (
    "Mapped task '{task}' requires named field dependencies (a fan-in dict, keywords or "
    "collect()), not a whole output or a route"
)
MAP_DEP_FIELDS = "Mapped task '{task}' fields [{fields}] cannot also be dependencies"
MAP_REQUIRED = (
    "Required field '{field}' on {model} is not covered for mapped task '{task}' "
    "(missing: {missing}); wire it, list it in config_fields, or make it key_as/value_as"
)
MAP_UPSTREAM_SPREAD = (
    "Mapped upstream task '{source}' must be connected through a named input field: "
    "task '{task}' takes its whole output together with config_fields"
)
MAP_NO_CONFIGURATION = (
    "Mapped task '{task}' requires JobConfiguration with its items under '{over}'"
)
MAP_NO_SOURCE = "Mapped task '{task}' requires configuration field '{over}' (its items)"
MAP_SOURCE_KIND = "Configuration field '{task}.{over}' must be a mapping, got {provided}"
MAP_ITEM_KEY = "Mapping keys for task '{task}' must be strings, got {key!r}"
MAP_ITEM_INVALID = "Invalid mapping item '{key}' for task '{task}': {problem}"

# -- job and run time (sections 7, 9 and 11) ------------------------------------------------

ROOT_INPUT = (
    "Root task '{task}' expects input type {expected}, but the job config for {workflow} "
    "is {provided}"
)
JOB_STATE = (
    "Cannot run job with status '{status}'; expected 'pending' (a job runs only once: "
    "create a new Job to run {workflow} again)"
)
WRONG_OUTPUT = "Task '{task}' returned {provided}, expected {expected}"

# -- JobConfiguration against the workflow, at Job(...) (checks 0.1.0 did not make) ----------

CONFIG_UNKNOWN_TASK = (
    "JobConfiguration names task '{task}', which is not a task of {workflow} (tasks: {tasks})"
)
CONFIG_UNDECLARED_FIELDS = (
    "JobConfiguration gives task '{task}' field(s) {fields}, but its config_fields are: {declared}"
)
CONFIG_INVALID_VALUE = (
    "Invalid configuration value for task '{task}', field '{field}' of {model}: {problem}"
)
CONFIG_MISSING_VALUES = (
    "Task '{task}' needs config value(s) for {fields}; give them in the JobConfiguration"
)
NESTED_NO_ROOT = (
    "Cannot wrap {workflow} as a task: it has no root tasks without config_fields, so "
    "give workflow_task a job_configuration for its configured roots"
)
NESTED_DIFFERENT_ROOTS = (
    "Cannot wrap {workflow} as a task: it has multiple root tasks without config_fields that "
    "take different input models ({roots}); give them one input model, or list their fields "
    "in config_fields"
)
NESTED_FAILED = "Inner workflow '{workflow}' failed at task '{task}': {error}"
"""Here ``workflow`` is the bare inner workflow name (0.1.0's text)."""
