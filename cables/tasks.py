"""Celery tasks for cables: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task

from cables import declass_store
from cables.similarity import store as similarity
from config import task_policy


@shared_task(name="cables.declass_compute", **task_policy.DEFAULT)
def declass_compute_task(cable_ids: list[int]) -> None:
    """Compute and store the declassification status of these cables (idempotent)."""
    declass_store.declass_compute(cable_ids)


@shared_task(name="cables.similarity_index", **task_policy.DEFAULT)
def similarity_index_task(cable_ids: list[int]) -> None:
    """(Re)index these cables' paragraphs for near-duplicate lookups (idempotent)."""
    similarity.index_cables(cable_ids)


@shared_task(name="cables.similarity_rebuild", **task_policy.LONG)
def similarity_rebuild_task() -> None:
    """Rebuild the whole near-duplicate index (after its settings changed); idempotent.

    In this process: a worker's pool process is daemonic, and multiprocessing refuses
    to start children of one (``manage.py similarity_index --rebuild`` hashes in
    parallel)."""
    similarity.index_rebuild(workers=1)
