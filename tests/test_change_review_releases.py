"""Review of "only a cable's current release is served": every other way an earlier
version's content could still reach a reader who is not staff.

The promise: what a later review round withholds must not leave through an earlier
published release.  Each test acts as the person who would meet the leak, through HTTP.
The tests that pass pin down the paths found sound (search, the API, the files, a
pending or blocked newer version, two cables, the redirect's message, caching); a test
marked ``xfail`` shows a defect still open.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from releases.models import Release
from tests.api.helpers import published_release, token_client
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from tests.releases import conftest as releases
from tests.releases.conftest import P3, cleared, decide, standard_plan
from workflow import permissions

pytestmark = pytest.mark.django_db

# The release tests' fixtures: a reviewed cable, its reviewer and authority, publication.
cable = releases.cable
reviewed = releases.reviewed
reviewer = releases.reviewer
authority = releases.authority
publish = releases.publish
published = releases.published

# Words of paragraph 3 that version 1 releases and the second round withholds.
LATER_WITHHELD = "technical experts"


@pytest.fixture
def reader(client: Any) -> Any:
    """Any logged-in user, holding no permission on any cable (the reading room's public)."""
    client.force_login(UserFactory(username="rhea"))
    return client


@pytest.fixture
def api_reader() -> Any:
    return token_client(UserFactory(username="script"))


@pytest.fixture
def withheld_later(published: Release, reviewer: Any, authority: Any, publish: Any) -> Release:
    """Version 2 of the published cable: a re-review round withholds paragraph 3, which
    version 1 released (redacted now)."""
    from tests.rereview import reopen_for_rereview

    assert LATER_WITHHELD in P3
    reopen_for_rereview(published.cable)
    start = P3.index(LATER_WITHHELD)
    redaction = {"start": start, "end": start + len(LATER_WITHHELD), "label": "(b)(5)"}
    decide(published.cable, reviewer, {**standard_plan(), 3: ("redact", [redaction])})
    second = publish(published.cable, authority)
    assert second.status == Release.Status.PUBLISHED, second.blocked_reason
    return second


def test_search_and_every_file_of_the_replaced_version_are_out_of_reach(
    reader, api_reader, published, withheld_later
):
    """A reader searching for, or fetching, what round 2 withholds finds nothing: the
    search looks at current versions only, and every stored file of version 1 (the index
    and the manifest too) answers 404 on the web and in the API."""
    first_files = list(published.files.values_list("name", flat=True))
    assert len(first_files) >= 5
    assert LATER_WITHHELD.encode() in bytes(published.files.get(name="release.txt").content)

    web = reader.get(reverse("releases:reading_room"), {"q": LATER_WITHHELD})
    assert list(web.context["page"]) == []
    api = api_reader.get("/api/releases/", {"q": LATER_WITHHELD}).json()
    assert api["count"] == 0
    for name in first_files:
        assert (
            reader.get(reverse("releases:download", args=[published.pk, name])).status_code == 404
        )
        assert api_reader.get(f"/api/releases/{published.pk}/files/{name}").status_code == 404
        current = reader.get(reverse("releases:download", args=[withheld_later.pk, name]))
        assert current.status_code == 200
        assert LATER_WITHHELD.encode() not in current.content

    page = reader.get(reverse("releases:detail", args=[published.pk]), follow=True)
    assert LATER_WITHHELD not in page.content.decode()
    detail = api_reader.get(f"/api/releases/{withheld_later.pk}/").json()
    assert LATER_WITHHELD not in str(detail)


def test_a_pending_or_blocked_newer_version_leaves_the_current_one_served(reader, api_reader):
    """Until a newer version is published, the current one stays served; a pending or
    blocked release's address says no more than an address that does not exist."""
    user = UserFactory(username="amos")
    cable = CableFactory()
    first = published_release(cable, user, version=1)
    blocked = published_release(cable, user, status="blocked")
    pending = published_release(cable, user, status="pending", files={})

    assert api_reader.get(f"/api/releases/{first.pk}/").status_code == 200
    assert api_reader.get(f"/api/releases/{first.pk}/files/release.txt").status_code == 200
    assert reader.get(reverse("releases:detail", args=[first.pk])).status_code == 200
    assert [r["id"] for r in api_reader.get("/api/releases/").json()["results"]] == [first.pk]
    missing = api_reader.get("/api/releases/999999999/").json()
    for hidden in (blocked, pending):
        assert api_reader.get(f"/api/releases/{hidden.pk}/").json() == missing
        assert reader.get(reverse("releases:detail", args=[hidden.pk])).status_code == 404


def test_two_cables_versions_do_not_replace_each_other(reader, api_reader):
    user = UserFactory(username="amos")
    one, other = CableFactory(), CableFactory()
    one_v1 = published_release(one, user, version=1)
    one_v2 = published_release(one, user, version=2)
    other_v1 = published_release(other, user, version=1)

    listed = {r["id"] for r in api_reader.get("/api/releases/").json()["results"]}
    assert listed == {one_v2.pk, other_v1.pk}
    assert api_reader.get(f"/api/releases/{other_v1.pk}/files/release.txt").status_code == 200
    old = api_reader.get(f"/api/releases/{one_v1.pk}/")
    assert old.json()["detail"] == f"Replaced by version 2: release {one_v2.pk}."
    redirected = reader.get(reverse("releases:detail", args=[one_v1.pk]))
    assert redirected["Location"] == reverse("releases:detail", args=[one_v2.pk])


def test_nothing_of_a_replaced_version_is_kept_by_a_cache(reader, api_reader):
    """The redirect and the 404s are no-store; a current file may be kept by the browser
    only to ask again (no-cache), and the answer for a replaced one is then 404."""
    user = UserFactory(username="amos")
    cable = CableFactory()
    first = published_release(cable, user, version=1)
    second = published_release(cable, user, version=2)

    redirect = reader.get(reverse("releases:detail", args=[first.pk]))
    assert "no-store" in redirect["Cache-Control"]
    revalidated = reader.get(
        reverse("releases:download", args=[first.pk, "release.txt"]),
        HTTP_IF_NONE_MATCH=f'"{first.files.get(name="release.txt").sha256}"',
    )
    assert revalidated.status_code == 404 and "no-store" in revalidated["Cache-Control"]
    current = reader.get(reverse("releases:download", args=[second.pk, "release.txt"]))
    assert current["Cache-Control"] == "private, no-cache"
    api_file = api_reader.get(f"/api/releases/{second.pk}/files/release.txt")
    assert "no-store" in api_file["Cache-Control"]


def _authority_on(cable: Any) -> Any:
    user = cleared("ada")
    permissions.grant(permissions.RELEASE, user, cable)
    return user


def test_the_approval_page_links_only_the_current_version(client, published, withheld_later):
    """The release authority's page names earlier versions as replaced, with no link: the
    authority is no more entitled to them than a reader."""
    client.force_login(_authority_on(published.cable))

    body = client.get(reverse("releases:approval", args=[published.cable.pk])).content.decode()

    assert reverse("releases:detail", args=[withheld_later.pk]) in body
    assert reverse("releases:detail", args=[published.pk]) not in body
    assert f"/releases/{published.pk}/files/" not in body
    assert "Earlier versions, replaced and no longer served: v1" in body


def test_the_approval_page_names_the_served_version_when_ids_and_versions_disagree(client):
    cable = CableFactory()
    ParagraphFactory(cable=cable, ordinal=1, text="Released paragraph.")
    user = _authority_on(cable)
    served = published_release(cable, user, version=2)
    replaced = published_release(cable, user, version=1)  # a higher id, a lower version
    client.force_login(user)

    body = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()

    assert "Published as version 2" in body
    assert reverse("releases:detail", args=[replaced.pk]) not in body
    assert reverse("releases:detail", args=[served.pk]) in body
    assert "no longer served: v1" in body
