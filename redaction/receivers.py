"""Redaction's answer to what the cables app announces."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from redaction.tasks import proposals_apply_task


def apply_rules_to_stored_cables(sender: Any, cable_ids: list[int], **_kwargs: Any) -> None:
    """New cables get the active rules' proposals once their import has committed.

    robust: a broker that is down must not turn a stored import into an error; a
    re-run of the import queues what is still undone.
    """
    ids = list(cable_ids)
    transaction.on_commit(lambda: proposals_apply_task.delay(ids), robust=True)
