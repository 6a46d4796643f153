"""The OpenAPI schema generates cleanly and the docs page serves its own assets."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/cables/", "/api/cables/{id}/", "/api/cables/{id}/paragraphs/",
        "/api/cables/{id}/decisions/", "/api/paragraphs/{id}/decisions/", "/api/rules/",
        "/api/rules/{id}/activate/", "/api/imports/", "/api/releases/",
        "/api/releases/{id}/files/{name}",
    } <= set(schema["paths"])  # fmt: skip
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_every_list_is_paginated(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    lists = {
        path: op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method == "get" and op["operationId"].endswith("_list")
    }

    assert len(lists) == 11  # + the subject decisions (issue 11)
    assert all(ref.split("/")[-1].startswith("Paginated") for ref in lists.values()), lists


def test_the_docs_page_serves_swagger_ui_from_this_site(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    for asset in assets:
        assert asset.startswith("/static/")
        assert finders.find(asset.removeprefix("/static/")), asset


def test_the_schema_is_public_but_the_data_is_not(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/cables/").status_code == 401
