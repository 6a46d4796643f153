"""Every task goes to a queue some worker consumes, finishes before Redis would hand it
to a second worker, and is retried only when a retry can help."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import OperationalError
from django_celery_beat.models import PeriodicTask

from config import task_policy
from config.celery import app, project_tasks

HEAVY = {"releases.release_generate", "cables.similarity_rebuild"}
BEAT = {"workflow.declass_due_sweep", "audit.checkpoint", "workflow.learning_retrain"}


def queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_the_project_has_its_tasks():
    tasks = project_tasks()
    assert HEAVY | BEAT <= set(tasks)
    modules = {task.__module__.partition(".")[0] for task in tasks.values()}
    assert modules == {"audit", "cables", "redaction", "workflow", "releases"}


def test_every_task_routes_to_a_known_queue_and_the_heavy_ones_to_heavy():
    assert settings.TASK_QUEUES == ("default", "heavy", "beat")
    assert app.conf.task_default_queue == "default"
    queues = {name: queue_of(name) for name in project_tasks()}
    assert set(queues.values()) <= set(settings.TASK_QUEUES), queues
    assert {name for name, queue in queues.items() if queue == "heavy"} == HEAVY
    assert {name for name, queue in queues.items() if queue == "beat"} == BEAT
    # Routes name real tasks only (a typo would silently send a task to "default").
    named = set(settings.CELERY_TASK_ROUTES) - {"celery.backend_cleanup"}
    assert named <= set(queues)
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} <= set(
        settings.TASK_QUEUES
    )


@pytest.mark.django_db
def test_what_beat_schedules_goes_to_the_beat_queue():
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    # The schedules migrations create.
    assert {"workflow.declass_due_sweep", "audit.checkpoint"} <= scheduled
    for name in scheduled | {"celery.backend_cleanup"}:
        assert queue_of(name) == "beat", name
    # No schedule overrides the route with a queue of its own.
    assert not PeriodicTask.objects.exclude(queue=None).exclude(queue="").exists()


def test_the_visibility_timeout_exceeds_every_time_limit():
    visibility = settings.BROKER_VISIBILITY_TIMEOUT
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == visibility
    assert app.conf.task_time_limit < visibility
    assert settings.TASK_LONG_TIME_LIMIT < visibility
    for name, task in project_tasks().items():
        # Every task has a hard limit (none would mean no bound at all) below it.
        assert task.time_limit is not None, name
        assert task.time_limit < visibility, name
        assert (task.soft_time_limit or 0) < task.time_limit, name
        # A retry waits in Redis for its countdown: no longer than the timeout either.
        if task.autoretry_for:
            assert task.retry_backoff_max < visibility, name
    assert project_tasks()["cables.similarity_rebuild"].time_limit == settings.TASK_LONG_TIME_LIMIT


def test_settings_derive_the_visibility_timeout_and_refuse_one_too_short(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings as project_settings

    try:
        monkeypatch.delenv("CELERY_VISIBILITY_TIMEOUT", raising=False)
        monkeypatch.setenv("CELERY_LONG_TASK_TIME_LIMIT", "5000")
        derived = importlib.reload(project_settings)
        assert derived.BROKER_VISIBILITY_TIMEOUT > 5000

        monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3600")
        with pytest.raises(ImproperlyConfigured, match=r"CELERY_VISIBILITY_TIMEOUT \(3600 s\)"):
            importlib.reload(project_settings)
        monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5000")
        with pytest.raises(ImproperlyConfigured, match="above the longest task time limit"):
            importlib.reload(project_settings)
        monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5001")
        assert importlib.reload(project_settings).BROKER_VISIBILITY_TIMEOUT == 5001
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


def test_every_task_has_a_policy_that_retries_only_outages():
    for name, task in project_tasks().items():
        assert set(task.autoretry_for) == set(task_policy.RETRY_ON), name
        assert task.retry_backoff and task.max_retries, name
        assert ValueError not in task.autoretry_for
    assert task_policy.LONG["max_retries"] <= task_policy.DEFAULT["max_retries"]


@pytest.fixture
def fail_once(monkeypatch):
    """Make the sweep's service raise ``error`` on its first call only; count calls."""
    from workflow import sweep

    calls = []
    real = sweep.declass_due_sweep

    def install(error: Exception, times: int = 1) -> list[int]:
        def flaky():  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) <= times:
                raise error
            return real()

        monkeypatch.setattr(sweep, "declass_due_sweep", flaky)
        return calls

    return install


def run_eagerly(name: str):
    """Run the task in-process as a worker would: a retry runs it again at once (eager
    retries skip the countdown), a failure is returned instead of raised."""
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False  # for the retries' runs too
    try:
        return project_tasks()[name].apply()
    finally:
        app.conf.task_eager_propagates = propagates


@pytest.mark.django_db
def test_a_task_is_retried_when_the_database_was_gone(fail_once):
    calls = fail_once(OperationalError("server closed the connection unexpectedly"))
    result = run_eagerly("workflow.declass_due_sweep")
    assert result.state == "SUCCESS", result.traceback
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_task_is_not_retried_on_a_bug(fail_once):
    calls = fail_once(ValueError("bad data"))
    result = run_eagerly("workflow.declass_due_sweep")
    assert result.state == "FAILURE"
    assert isinstance(result.result, ValueError)
    assert len(calls) == 1


@pytest.mark.django_db
def test_a_task_gives_up_after_its_retries(fail_once):
    calls = fail_once(OperationalError("gone for good"), times=100)
    result = run_eagerly("workflow.declass_due_sweep")
    assert result.state == "FAILURE"
    assert isinstance(result.result, OperationalError)
    assert len(calls) == task_policy.DEFAULT["max_retries"] + 1
