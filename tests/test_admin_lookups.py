"""Every admin of the project filters its change list only by the filters it declares
(``config.admin_lookups``): a URL lookup on any other field, cable text above all, would
tell a reader what the text holds, a guess at a time."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from config.admin_lookups import DeclaredLookupsOnly

PROJECT_APPS = {"audit", "cables", "redaction", "workflow", "releases", "api"}


def project_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS or model is get_user_model()
    ]


def test_every_project_admin_takes_the_declared_lookups_only():
    admins = project_admins()
    assert len(admins) >= 8
    missing = [type(a).__name__ for _m, a in admins if not isinstance(a, DeclaredLookupsOnly)]
    assert missing == []


@pytest.mark.parametrize(("model", "model_admin"), project_admins())
def test_no_admin_allows_a_text_lookup_it_does_not_declare(model, model_admin):
    for field in model._meta.get_fields():
        if getattr(field, "get_internal_type", lambda: "")() not in ("TextField", "CharField"):
            continue
        declared = model_admin._declared_filters(None)
        if field.name in declared:
            continue
        assert not model_admin.lookup_allowed(f"{field.name}__icontains", "x"), field.name
        assert not model_admin.lookup_allowed(f"{field.name}__regex", "x"), field.name


def test_a_declared_filter_allows_its_own_lookups_and_no_path_beyond_it():
    from cables.models import Cable

    cable_admin = admin.site._registry[Cable]
    assert cable_admin.lookup_allowed("level__exact", "2")
    assert cable_admin.lookup_allowed("status__review_state__exact", "due")
    assert cable_admin.lookup_allowed("status__review_state__isnull", "True")
    assert not cable_admin.lookup_allowed("status__cable__raw_text__icontains", "x")
    assert not cable_admin.lookup_allowed("paragraphs__text__icontains", "x")
