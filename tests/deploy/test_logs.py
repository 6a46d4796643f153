"""Structured logs: one JSON line per request, request and task ids on every record."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.test import override_settings

from config.celery import app
from config.logs import ContextFilter, logging_config
from tests.deploy.support import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The project's JSON handler (formatter and filter from LOGGING) on the root logger."""
    config = logging_config("json", "DEBUG")
    configurator = logging.config.DictConfigurator(config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configurator.configure_formatter(dict(config["formatters"]["json"])))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO, logger: str | None = None) -> list[dict]:
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [r for r in records if logger is None or r["logger"] == logger]


def test_a_request_writes_one_json_line_with_its_fields(client, json_log):
    response = client.get("/login/")

    assert response.status_code == 200
    [line] = lines(json_log, "declass.request")
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/login/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["message"].startswith("GET /login/ 200 ")
    assert line["time"].endswith("+00:00")


def test_the_proxys_request_id_is_kept_and_a_malformed_one_replaced(client, json_log):
    kept = client.get("/login/", HTTP_X_REQUEST_ID="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    replaced = client.get("/login/", HTTP_X_REQUEST_ID='x"\n{"forged": 1}')

    first, second = lines(json_log, "declass.request")
    assert kept["X-Request-ID"] == first["request_id"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert replaced["X-Request-ID"] == second["request_id"] != 'x"\n{"forged": 1}'
    assert "forged" not in second


def test_a_signed_in_users_id_is_logged(client, json_log, django_user_model):
    user = django_user_model.objects.create_user("logged", password="pw-for-tests-only")
    client.force_login(user)
    client.get("/workflow/queue/")
    [line] = lines(json_log, "declass.request")
    assert line["user_id"] == user.pk


def test_records_written_while_serving_carry_the_request_id(client, json_log):
    with override_settings(
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = client.get("/readyz")

    assert response.status_code == 503
    [warning] = lines(json_log, "declass.health")
    assert warning["level"] == "WARNING" and warning["check"] == "broker"
    assert warning["request_id"] == response["X-Request-ID"]


def test_probes_are_logged_at_debug_only(client, json_log):
    client.get("/healthz")
    [line] = lines(json_log, "declass.request")
    assert line["level"] == "DEBUG"


@app.task(name="tests.deploy.log_inside_a_task")
def log_inside_a_task() -> None:
    logging.getLogger("declass.tests").info("working")


def test_records_written_inside_a_task_carry_its_id_and_name(json_log):
    result = log_inside_a_task.apply()  # runs in-process, as a worker would

    [line] = lines(json_log, "declass.tests")
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.deploy.log_inside_a_task"
    assert "request_id" not in line


def test_records_outside_requests_and_tasks_carry_no_empty_ids(json_log):
    logging.getLogger("declass.tests").warning("plain %s", "record")
    [line] = lines(json_log, "declass.tests")
    assert line["message"] == "plain record"
    assert not {"request_id", "task_id", "task_name"} & set(line)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="json, plain"):
        logging_config("yaml", "INFO")
