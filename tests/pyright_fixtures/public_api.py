"""The public API under pyright, which runs no plugin: the types plain generics give.

``tests/test_pyright.py`` runs pyright on this file and compares each
``reveal_type`` and each error with the comment at the end of its line.
"""

from __future__ import annotations

from typing import reveal_type

from pydantic import BaseModel

from taskmaestro import ExecutionContext, Job, Runner, Task, Workflow


class Order(BaseModel):
    amount: float


class Receipt(BaseModel):
    total: float


class Unrelated(BaseModel):
    label: str


class Charge(Task[Order, Receipt]):
    def run(self, input: Order, ctx: ExecutionContext) -> Receipt:
        return Receipt(total=input.amount)


charge = Charge()
reveal_type(charge.run(Order(amount=1.0), ExecutionContext()))  # T: Receipt

built = Workflow.builder(name="billing").add_task(Charge).build()
reveal_type(built)  # T: Workflow[Any, Any]


def typed_workflow() -> Workflow[Order, Receipt]:
    """A workflow whose type the author states: what the plugin would infer."""
    return Workflow.builder(name="billing", result_task=Charge).add_task(Charge).build()


workflow = typed_workflow()
job = Job(workflow=workflow, config=Order(amount=2.0))
reveal_type(job)  # T: Job[Order, Receipt]
finished = Runner().run(job)
reveal_type(finished)  # T: Job[Order, Receipt]
reveal_type(finished.result)  # T: Receipt | None

wrong = Job(workflow=workflow, config=Unrelated(label="x"))  # E: reportArgumentType
