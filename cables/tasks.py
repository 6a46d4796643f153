"""Celery tasks for cables: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task

from cables import declass_store


@shared_task(name="cables.declass_compute", acks_late=True, ignore_result=True)
def declass_compute_task(cable_ids: list[int]) -> None:
    """Compute and store the declassification status of these cables (idempotent)."""
    declass_store.declass_compute(cable_ids)
