"""In a real browser: a CONFIDENTIAL-cleared member of the admin group opens a SECRET
cable in the admin and reads only its CONFIDENTIAL paragraph, without the raw text;
a cable they hold no grant on is not listed (issue "Nothing above your clearance")."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from cables.markings import Level
from tests.e2e.conftest import screenshot
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance
from workflow.roles import ROLES

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_TEXT = "The source NIGHTJAR reports the minister will resign."


def role(name: str) -> Group:
    """The role's group (created again when an earlier transactional test flushed it)."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for dotted in ROLES[name]:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def test_a_c_cleared_admin_sees_only_what_they_may_read(live_server, page):
    cable = CableFactory(
        reference_id="06SECRETPOST7", level=int(Level.S), raw_text=f"S E C R E T {SECRET_TEXT}"
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="The harvest was late.")
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=SECRET_TEXT)
    CableFactory(reference_id="06UNGRANTED9", level=int(Level.C))
    ada = UserFactory(username="ada", is_staff=True)
    ada.groups.add(role("admin"))
    Clearance.objects.create(user=ada, level=int(Level.C))
    permissions.grant(permissions.VIEW, ada, cable)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/cables/cable/")

    listing = page.locator("#result_list").inner_text()
    assert "06SECRETPOST7" in listing and "06UNGRANTED9" not in listing

    page.goto(f"{live_server.url}/admin/cables/cable/{cable.pk}/change/")
    markings = page.locator("td.field-marking_display").all_inner_texts()
    assert [m.strip() for m in markings] == ["C"]
    content = page.content()
    assert "The harvest was late." in content
    assert "NIGHTJAR" not in content
    assert "1 paragraph above your clearance, and the raw text" in content
    screenshot(page, "admin-cable-within-clearance")
