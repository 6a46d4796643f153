"""Celery tasks for cables: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task

from cables import declass_store
from cables.similarity import store as similarity


@shared_task(name="cables.declass_compute", ignore_result=True)
def declass_compute_task(cable_ids: list[int]) -> None:
    """Compute and store the declassification status of these cables (idempotent)."""
    declass_store.declass_compute(cable_ids)


@shared_task(name="cables.similarity_index", ignore_result=True)
def similarity_index_task(cable_ids: list[int]) -> None:
    """(Re)index these cables' paragraphs for near-duplicate lookups (idempotent)."""
    similarity.index_cables(cable_ids)


@shared_task(
    name="cables.similarity_rebuild",
    ignore_result=True,
    soft_time_limit=3600,
    time_limit=3900,
)
def similarity_rebuild_task() -> None:
    """Rebuild the whole near-duplicate index (after its settings changed); idempotent."""
    similarity.index_rebuild()
