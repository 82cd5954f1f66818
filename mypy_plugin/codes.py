"""One error code per kind of wiring violation, so each can be silenced on its own.

``# type: ignore[taskmaestro-type]`` silences one line; ``disable_error_code``
in the mypy configuration silences a kind everywhere. The README lists every
code with an example.
"""

from __future__ import annotations

from typing import Final

from mypy.errorcodes import ErrorCode

from taskmaestro import _contract as contract

_CATEGORY: Final = "taskmaestro"

TYPE: Final = ErrorCode(
    contract.Code.TYPE, "A wired value does not fit the input it feeds (W1-W5)", _CATEGORY
)
FAN_IN_KEY: Final = ErrorCode(
    contract.Code.FAN_IN_KEY, "A fan-in key is not a field of the task's input (W5)", _CATEGORY
)
ROUTE: Final = ErrorCode(
    contract.Code.ROUTE, "A routed field is not a field of the upstream output (W4, W5)", _CATEGORY
)
MISSING_INPUT: Final = ErrorCode(
    contract.Code.MISSING_INPUT,
    "Required input fields are neither wired nor configured (W3, W6, W8)",
    _CATEGORY,
)
CONFIG_FIELD: Final = ErrorCode(
    contract.Code.CONFIG_FIELD, "A config_fields entry is not an input field (W7)", _CATEGORY
)
REFERENCE: Final = ErrorCode(
    contract.Code.REFERENCE, "A reference names no task of the workflow (W9)", _CATEGORY
)
AMBIGUOUS: Final = ErrorCode(
    contract.Code.AMBIGUOUS,
    "A class registered under several names is referred to by class (W9)",
    _CATEGORY,
)
DUPLICATE_NAME: Final = ErrorCode(
    contract.Code.DUPLICATE_NAME, "Two task instances share a name (W10)", _CATEGORY
)
INVALID_NAME: Final = ErrorCode(
    contract.Code.INVALID_NAME, "A task instance name is not an identifier (W10)", _CATEGORY
)
CYCLE: Final = ErrorCode(contract.Code.CYCLE, "The dependencies form a cycle (W11)", _CATEGORY)
RESULT: Final = ErrorCode(
    contract.Code.RESULT,
    "The workflow has no single result task and no result_task (W12)",
    _CATEGORY,
)
JOB_CONFIG: Final = ErrorCode(
    contract.Code.JOB_CONFIG, "The job config does not fit the root input (W13)", _CATEGORY
)
TASK_MODEL: Final = ErrorCode(
    contract.Code.TASK_MODEL, "A task declares no input or output model", _CATEGORY
)
RUN_SIGNATURE: Final = ErrorCode(
    contract.Code.RUN_SIGNATURE,
    "A task's run() disagrees with its nested Inputs/Outputs models",
    _CATEGORY,
)
COLLECTION: Final = ErrorCode(
    "taskmaestro-collection",
    "A collect() target is no list[T]/dict[str, T] field, or a member does not fit T",
    _CATEGORY,
)
MAPPING: Final = ErrorCode(
    "taskmaestro-mapping",
    "A mapped task's key or value field is missing, its key field takes no str, or its "
    "dependencies do not name fields",
    _CATEGORY,
)

ALL: Final = (
    TYPE,
    FAN_IN_KEY,
    ROUTE,
    MISSING_INPUT,
    CONFIG_FIELD,
    REFERENCE,
    AMBIGUOUS,
    DUPLICATE_NAME,
    INVALID_NAME,
    CYCLE,
    RESULT,
    JOB_CONFIG,
    TASK_MODEL,
    RUN_SIGNATURE,
    COLLECTION,
    MAPPING,
)
