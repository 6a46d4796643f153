"""In a real browser, the admin lists imported cables and shows paragraphs with markings."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cables.ingest import CableSource, cables_import
from cables.models import Cable
from tests.cables.cable_text import reference_id, telegram
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_lists_cables_and_shows_their_paragraph_markings(live_server, page):
    get_user_model().objects.create_superuser("boss", "", "pw-for-tests-only")
    cables_import(
        [CableSource(name=f"c{i}.txt", text=telegram(serial=i)) for i in (1, 2, 3)], workers=1
    )
    cable = Cable.objects.get(reference_id=reference_id(serial=2))

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/cables/cable/")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert page.locator("#result_list").inner_text().count("Embassy Exampletown") == 3
    screenshot(page, "admin-cable-list")

    page.goto(f"{live_server.url}/admin/cables/cable/{cable.pk}/change/")
    markings = page.locator("td.field-marking_display").all_inner_texts()
    assert [m.strip() for m in markings] == ["C", "U", "C"]
    assert "the minister said the talks would resume" in page.content()
    screenshot(page, "admin-cable-paragraphs")
