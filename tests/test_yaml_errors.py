"""Every kind of error: a ConfigLoadError that names file, line and column, and what was expected.

Each case marks the offending line with ``# <-`` in its YAML; the test checks
that the error points there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmaestro import (
    ConfigLoadError,
    CycleDetectedError,
    IncompleteInputError,
    WorkflowDefinitionError,
    load_workflow_from_yaml,
)

from .yaml_support import M, assert_at, line_of, load_error, write

MARK = "# <-"


def check(tmp_path: Path, text: str, match: str, inputs: str = "value: 1\n") -> ConfigLoadError:
    """Load ``text``; the error must match ``match`` and point at the line marked ``# <-``."""
    workflow = write(tmp_path, "workflow.yaml", text)
    input_file = write(tmp_path, "input.yaml", inputs)
    error = load_error(workflow, input_file, match=match)
    assert_at(error, workflow, line_of(workflow, MARK))
    return error


SHAPE_CASES = {
    "typo depend_on": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depend_on: add_one  # <-
        """,
        r"workflow.tasks\[1\]: unknown key 'depend_on' \(did you mean 'depends_on'\?\)",
    ),
    "unknown top-level key": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runners:  # <-
          hooks: []
        """,
        r"unknown key 'runners' \(did you mean 'runner'\?\); a workflow file takes the keys: "
        "workflow, runner, context",
    ),
    "unknown key in runner": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          timeout: 3  # <-
        """,
        "runner: unknown key 'timeout'",
    ),
    "unknown key in a hook entry": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: taskmaestro.hooks.timing.TimingHook
              param: {{}}  # <-
        """,
        r"runner.hooks\[0\]: unknown key 'param' \(did you mean 'params'\?\)",
    ),
    "unknown key in context": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        context:
          service: {{}}  # <-
        """,
        r"context: unknown key 'service' \(did you mean 'services'\?\)",
    ),
    "missing workflow section": (
        """
        runner: {}  # <-
        """,
        "the file: missing key 'workflow'",
    ),
    "empty file": (
        "# <- nothing but this comment\n",
        "^[^ ]*:1:1: YAML file must contain a mapping at top level; "
        "expected a workflow file, got null",
    ),
    "file is a list": (
        """
        - workflow  # <-
        """,
        "expected a workflow file, got a list",
    ),
    "missing name": (
        f"""
        workflow:
          tasks:  # <- the mapping that lacks the key starts here
            - task: {M}.AddOne
        """,
        "workflow: missing key 'name'",
    ),
    "tasks is a mapping": (
        """
        workflow:
          name: w
          tasks:
            task: x  # <-
        """,
        "workflow.tasks: expected a list of task entries, got a mapping",
    ),
    "entry without task or workflow": (
        """
        workflow:
          name: w
          tasks:
            - name: lonely  # <-
        """,
        r"workflow.tasks\[0\]: Must specify either 'task' or 'workflow': a task entry needs one",
    ),
    "entry with task and workflow": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              workflow: inner.yaml  # <-
        """,
        "Specify either 'task' or 'workflow', not several",
    ),
    "entry with a typo and no task": (
        f"""
        workflow:
          name: w
          tasks:
            - tsak: {M}.AddOne  # <-
        """,
        r"unknown key 'tsak' \(did you mean 'task'\?\)",
    ),
    "task is a number": (
        """
        workflow:
          name: w
          tasks:
            - task: 42  # <-
        """,
        r"workflow.tasks\[0\].task: expected a dotted path to a class, .*got the number 42",
    ),
    "task is not dotted": (
        """
        workflow:
          name: w
          tasks:
            - task: AddOne  # <-
        """,
        "expected a dotted path to a class",
    ),
    "name is a boolean": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              name: yes  # <-
        """,
        "expected a name, got the boolean yes",
    ),
    "depends_on is a number": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: 3  # <-
        """,
        r"depends_on: expected a task: its instance name or its Task class's dotted path, "
        "got the number 3",
    ),
    "route of three items": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Split
            - task: {M}.Double
              depends_on: [split, high, low]  # <-
        """,
        r"depends_on: List depends_on must be \[task_path, field_name\]: "
        r"expected a \[task, field\] list",
    ),
    "fan-in value is a mapping": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Sum
              depends_on:
                a: {{task: add_one}}  # <-
                b: add_one
        """,
        r"depends_on.a: Invalid dependency: expected a task reference, a \[task, field\] list "
        r"or a \{collect: \.\.\.\} mapping, got a mapping without 'collect'",
    ),
    "config_fields is a string": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              config_fields: value  # <-
        """,
        "config_fields: expected a list of input field names, got the string 'value'",
    ),
    "timeout is negative": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          timeout_seconds: -1  # <-
        """,
        "runner.timeout_seconds: expected a finite positive number of seconds, .*got the number -1",
    ),
    "timeout is a string": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          timeout_seconds: soon  # <-
        """,
        "expected a finite positive number of seconds, .*got the string 'soon'",
    ),
    "services is a list": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        context:
          services: [a, b]  # <-
        """,
        "context.services: expected a mapping from service name to value, got a list",
    ),
    "duplicate key": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
          name: again  # <-
        """,
        r"duplicate key 'name' \(first given at line 2\)",
    ),
    "yaml syntax": (
        """
        workflow:
          name: w: x  # <-
          tasks: []
        """,
        "YAML parse error: mapping values are not allowed",
    ),
    "unknown tag": (
        f"""
        workflow:
          name: !secret w  # <-
          tasks:
            - task: {M}.AddOne
        """,
        r"refused tag '!secret': only YAML's own tags are allowed",
    ),
}


@pytest.mark.parametrize(("text", "match"), SHAPE_CASES.values(), ids=SHAPE_CASES.keys())
def test_wrong_shapes_are_located(tmp_path: Path, text: str, match: str) -> None:
    check(tmp_path, text, match)


IMPORT_CASES = {
    "no such module": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: no_such_module.Task  # <-
              depends_on: add_one
        """,
        r"workflow.tasks\[1\].task: cannot import 'no_such_module.Task': "
        "Cannot import module 'no_such_module': no module named 'no_such_module'",
    ),
    "no such class": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddTwo  # <-
        """,
        f"cannot import '{M}.AddTwo': Module '{M}' has no attribute 'AddTwo'",
    ),
    "not a task class": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.NotATask  # <-
        """,
        "is not a Task subclass .*the class NotATask.*expected a subclass of taskmaestro.Task",
    ),
    "a function, not a class": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.not_a_class  # <-
        """,
        r"is not a Task subclass \(it is a function\)",
    ),
    "abstract task": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Unfinished  # <-
        """,
        r"is abstract \(it lacks: helper\)",
    ),
    "task without models": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.NoModels  # <-
        """,
        "NoModels has no input model",
    ),
    "not a hook class": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.AddOne  # <-
        """,
        r"runner.hooks\[0\]: '.*AddOne' is not a BaseHook subclass, "
        "nor a class with any of the hook",
    ),
    "hook module missing": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: taskmaestro.hooks.nothing.Hook  # <-
        """,
        r"runner.hooks\[0\].hook: cannot import 'taskmaestro.hooks.nothing.Hook': "
        "Cannot import module 'taskmaestro.hooks.nothing': no module named "
        "'taskmaestro.hooks.nothing'",
    ),
    "dependency class path that is no task": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: {M}.Number  # <-
        """,
        "is not a Task subclass",
    ),
}


@pytest.mark.parametrize(("text", "match"), IMPORT_CASES.values(), ids=IMPORT_CASES.keys())
def test_import_problems_are_located(tmp_path: Path, text: str, match: str) -> None:
    check(tmp_path, text, match)


def test_a_module_that_fails_while_importing(tmp_path: Path) -> None:
    write(tmp_path, "broken_tasks.py", "raise RuntimeError('half written')\n")
    error = check(
        tmp_path,
        """
        workflow:
          name: w
          tasks:
            - task: broken_tasks.Anything  # <-
        """,
        "Cannot import module 'broken_tasks': importing it raised RuntimeError: half written",
    )
    assert isinstance(error.__cause__, RuntimeError)


def test_a_module_whose_own_import_is_missing(tmp_path: Path) -> None:
    write(tmp_path, "needy_tasks.py", "import surely_not_installed_anywhere\n")
    check(
        tmp_path,
        """
        workflow:
          name: w
          tasks:
            - task: needy_tasks.Anything  # <-
        """,
        "Cannot import module 'needy_tasks': importing it raised ModuleNotFoundError",
    )


WIRING_CASES = {
    "unknown task name": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: add_two  # <-
        """,
        "Task 'double' depends on 'add_two', which is not registered in workflow 'w'",
    ),
    "unknown fan-in source": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Sum
              depends_on:
                a: add_one
                b: nowhere  # <-
        """,
        "Task 'sum' depends on 'nowhere', which is not registered",
    ),
    "class path of a task not in the workflow": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: {M}.Split  # <-
        """,
        "Task class 'Split' not found in workflow 'w': task 'double' refers to it by class",
    ),
    "class path matching two instances": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              name: one
            - task: {M}.AddOne
              name: two
              depends_on: one
            - task: {M}.Double
              depends_on: {M}.AddOne  # <-
        """,
        "Ambiguous reference to task class 'AddOne' in workflow 'w': task 'double' refers to it "
        "by class, but it is registered as 'one' and 'two'; refer to it by instance name",
    ),
    "type mismatch": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.ToText
              depends_on: add_one
            - task: {M}.Double
              depends_on: to_text  # <-
        """,
        "Type mismatch: task 'double' takes Number, but the output of 'to_text' is Text",
    ),
    "fan-in key that is no input field": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Sum
              depends_on:
                a: add_one
                b: add_one
                c: add_one  # <-
        """,
        "Fan-in field 'c' not found on Pair: task 'sum'",
    ),
    "fan-in type mismatch": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.ToText
              depends_on: add_one
            - task: {M}.Sum
              depends_on:
                a: add_one
                b: to_text  # <-
        """,
        "Fan-in type mismatch: field 'b' of task 'sum' is Number",
    ),
    "routed field that does not exist": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.Split
            - task: {M}.Sum
              depends_on:
                a: [split, low]
                b: [split, middle]  # <-
        """,
        "Field 'middle' not found on Split.Outputs: task 'sum' routes field 'middle' of 'split'",
    ),
    "incomplete fan-in": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Sum  # <-
              depends_on:
                a: add_one
        """,
        "Required field 'b' on Pair of task 'sum' is not mapped to any upstream task",
    ),
    "config field that is no input field": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              config_fields:
                - value
                - amount  # <-
        """,
        "Config field 'amount' not found on Number: task 'add_one' lists it in config_fields",
    ),
    "duplicate instance name": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.AddOne  # <-
              depends_on: add_one
        """,
        "Duplicate task name 'add_one'",
    ),
    "invalid instance name": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              name: has space  # <-
        """,
        "Invalid task name 'has space'",
    ),
    "two sinks without result_task": (
        f"""
        workflow:
          name: w
          tasks:  # <-
            - task: {M}.AddOne
            - task: {M}.Double
              depends_on: add_one
            - task: {M}.ToText
              depends_on: add_one
        """,
        "has 2 sink tasks",
    ),
    "unknown result_task": (
        f"""
        workflow:
          name: w
          result_task: final  # <-
          tasks:
            - task: {M}.AddOne
        """,
        "result_task 'final' not found",
    ),
    "no tasks": (
        """
        workflow:
          name: w
          tasks: []  # <-
        """,
        "Cannot build workflow 'w': it has no tasks",
    ),
}


@pytest.mark.parametrize(("text", "match"), WIRING_CASES.values(), ids=WIRING_CASES.keys())
def test_wiring_rule_violations_are_located_and_keep_the_core_error(
    tmp_path: Path, text: str, match: str
) -> None:
    error = check(tmp_path, text, match)
    assert isinstance(error.__cause__, WorkflowDefinitionError)
    assert str(error.__cause__) in str(error)


def test_a_cycle_is_located_at_a_dependency_on_it(tmp_path: Path) -> None:
    error = check(
        tmp_path,
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
              name: a
              depends_on: b
            - task: {M}.AddOne
              name: b
              depends_on: a  # <-
            - task: {M}.AddOne
              depends_on: b
        """,
        "Cycle detected involving task 'a' in workflow 'w': a -> b -> a",
    )
    assert isinstance(error.__cause__, CycleDetectedError)


def test_incomplete_input_keeps_its_specific_error_type(tmp_path: Path) -> None:
    error = check(
        tmp_path,
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
            - task: {M}.Sum  # <-
              depends_on: {{a: add_one}}
        """,
        r"\(missing: b\)",
    )
    assert isinstance(error.__cause__, IncompleteInputError)


HOOK_CASES = {
    "unknown parameter": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.RecordingHook
              params:
                folder: out
                colour: red  # <-
        """,
        r"Cannot instantiate hook .*RecordingHook': it has no parameter 'colour' "
        r"\(its parameters: folder, label, repeat\)",
    ),
    "parameter of the wrong type": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.RecordingHook
              params:
                folder: out
                repeat: often  # <-
        """,
        r"runner.hooks\[0\].params.repeat: expected int: Input should be a valid integer",
    ),
    "missing required parameter": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.RecordingHook  # <-
              params: {{label: x}}
        """,
        r"Cannot instantiate hook .*RecordingHook': "
        r"it needs the parameter\(s\) folder under 'params'",
    ),
    "constructor that raises": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: {M}.ExplodingHook  # <-
              params: {{limit: 3}}
        """,
        "Cannot instantiate hook .*ExplodingHook': ValueError: limit 3 is too small",
    ),
    "parameter a hook without parameters": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: taskmaestro.hooks.timing.TimingHook
              params:
                verbose: true  # <-
        """,
        r"has no parameter 'verbose' \(its parameters: none\)",
    ),
    "logging level of the wrong type": (
        f"""
        workflow:
          name: w
          tasks:
            - task: {M}.AddOne
        runner:
          hooks:
            - hook: taskmaestro.hooks.logging.LoggingHook
              params:
                level: [loud]  # <-
        """,
        "params.level: expected int",
    ),
}


@pytest.mark.parametrize(("text", "match"), HOOK_CASES.values(), ids=HOOK_CASES.keys())
def test_hook_params_are_checked_against_the_constructor(
    tmp_path: Path, text: str, match: str
) -> None:
    check(tmp_path, text, match)


def test_unreadable_workflow_file_is_named(tmp_path: Path) -> None:
    error = load_error(tmp_path / "absent.yaml", match=r"Cannot read file \(the workflow file\)")
    assert error.path == str(tmp_path / "absent.yaml")
    assert error.line is None
    assert "No such file or directory" in str(error)


def test_a_folder_is_not_a_workflow_file(tmp_path: Path) -> None:
    error = load_error(tmp_path, match=r"Cannot read file \(the workflow file\)")
    assert error.line is None


def test_arguments_that_are_not_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigLoadError, match="workflow_path must be a path"):
        load_workflow_from_yaml(42, None)  # type: ignore[arg-type]
    with pytest.raises(ConfigLoadError, match="input_path must be a path"):
        load_workflow_from_yaml(tmp_path / "w.yaml", b"in.yaml")  # type: ignore[arg-type]
