"""What an import queues: its captured on-commit callbacks read as (task name, arguments).

The tests capture the on-commit callbacks (``django_capture_on_commit_callbacks``, as
the other tests of follow-up work do) and need to know which task each one queues and
for which cables, without running it; running the callback later runs the task
(eagerly, as the unit tests run tasks), as a worker would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from unittest import mock

from celery.app.task import Task

DECLASS = "cables.declass_compute"
SIMILARITY = "cables.similarity_index"
PROPOSALS = "redaction.proposals_apply"


@dataclass(frozen=True)
class Queued:
    """One task a callback queues: its name, its arguments, and the callback to run it."""

    name: str
    args: tuple[Any, ...]
    run: Callable[[], object]

    @property
    def cable_ids(self) -> list[int]:
        return list(self.args[0])


def queued_tasks(callbacks: Iterable[Callable[[], object]]) -> list[Queued]:
    """The tasks these callbacks queue, in order, read by calling each one with
    ``apply_async`` (which ``delay`` calls) recording instead of sending or running."""
    out: list[Queued] = []
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def record(task: Task, args: Any = None, kwargs: Any = None, **_options: Any) -> None:
        seen.append((task.name, tuple(args or ())))

    for callback in callbacks:
        seen.clear()
        with mock.patch.object(Task, "apply_async", record):
            callback()
        out.extend(Queued(name, args, callback) for name, args in seen)
    return out


def named(queued: Iterable[Queued], name: str) -> list[Queued]:
    return [q for q in queued if q.name == name]
