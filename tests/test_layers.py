"""The split of a workflow across layers: ``WorkflowDefinition`` below, ``Workflow`` above.

The job, the execution core and nested workflows read a ``WorkflowDefinition``;
``Workflow`` adds ``run`` and ``as_task`` with module-level imports only.
"""

from __future__ import annotations

import ast
import pickle
import tomllib
from pathlib import Path

from taskmaestro import Job, Workflow
from taskmaestro._definition import WorkflowDefinition

from .helpers import AddOne, Double, Number

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contract_ignores_no_edge() -> None:
    """No upward import is excused: every layer imports only lower ones."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert contracts
    assert all(not contract.get("ignore_imports") for contract in contracts)


def test_workflow_py_imports_only_at_module_level() -> None:
    """A function-level import that breaks a circle is a circle."""
    tree = ast.parse((ROOT / "taskmaestro" / "workflow.py").read_text(encoding="utf-8"))
    functions = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    inner = [
        (function.name, node.lineno)
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert functions
    assert inner == []


def test_a_workflow_is_a_definition_and_the_job_keeps_it() -> None:
    workflow = Workflow(name="pair", tasks=[AddOne, Double])
    assert isinstance(workflow, WorkflowDefinition)
    job = workflow.run(Number(value=1))
    assert job.workflow is workflow
    assert job.result == Number(value=4)


def test_from_graph_returns_the_live_workflow_from_either_class() -> None:
    workflow = Workflow(name="pair", tasks=[AddOne, Double])
    assert WorkflowDefinition.from_graph(workflow.graph) is workflow
    assert Workflow.from_graph(workflow.graph) is workflow


def test_from_graph_on_workflow_gives_a_workflow_even_after_a_bare_definition() -> None:
    """Unpickled in another process, a graph has no live workflow: the execution core
    makes a bare definition, and ``Workflow.from_graph`` still gives a runnable one."""
    graph = pickle.loads(pickle.dumps(Workflow(name="pair", tasks=[AddOne, Double]).graph))
    bare = WorkflowDefinition.from_graph(graph)
    assert type(bare) is WorkflowDefinition
    assert WorkflowDefinition.from_graph(graph) is bare
    runnable = Workflow.from_graph(graph)
    assert type(runnable) is Workflow
    assert runnable.run(Number(value=2)).result == Number(value=6)
    assert Job(bare, Number(value=2)).workflow is bare


def test_a_workflow_pickles_under_its_public_class_path() -> None:
    workflow = Workflow(name="pair", tasks=[AddOne, Double])
    data = pickle.dumps(workflow)
    assert b"taskmaestro.workflow" in data
    copy = pickle.loads(data)
    assert type(copy) is Workflow
    assert copy.task_names == ("add_one", "double")
    assert copy.run(Number(value=0)).result == Number(value=2)
