"""Published releases over the API: read only, the reading room's releases and files."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import published_release, token_client
from tests.factories import CableFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return token_client(UserFactory(username="reader"))


@pytest.fixture
def authority():
    return UserFactory(username="authority")


def test_the_reading_room_lists_published_releases(reader, authority):
    release = published_release(CableFactory(), authority)

    body = reader.get("/api/releases/").json()

    assert body["count"] == 1
    [item] = body["results"]
    assert item["id"] == release.pk and item["doc_no"] == f"C{release.pk:08d}"
    assert (item["stamp"], item["version"]) == ("Declassified in part (b)(6)", 1)


def test_a_release_shows_its_files_and_versions(reader, authority):
    cable = CableFactory()
    first = published_release(cable, authority, version=1)
    second = published_release(cable, authority, version=2)

    body = reader.get(f"/api/releases/{second.pk}/").json()

    assert body["exemptions"] == ["(b)(6)"] and body["review_authority"] == "authority"
    assert [f["name"] for f in body["files"]] == ["manifest.json", "release.pdf", "release.txt"]
    assert body["files"][2]["url"].endswith(f"/api/releases/{second.pk}/files/release.txt")
    assert [v["id"] for v in body["versions"]] == [second.pk, first.pk]


def test_a_replaced_version_is_listed_but_no_longer_served(reader, authority):
    """A later round may withhold what version 1 released: only the current version is
    served; asking for version 1 says which release replaced it."""
    cable = CableFactory()
    first = published_release(cable, authority, version=1)
    second = published_release(cable, authority, version=2)

    old = reader.get(f"/api/releases/{first.pk}/")
    assert old.status_code == 404
    assert old.json()["detail"] == f"Replaced by version 2: release {second.pk}."
    assert reader.get(f"/api/releases/{first.pk}/files/release.txt").status_code == 404
    assert reader.get(f"/api/releases/{second.pk}/files/release.txt").status_code == 200
    assert [r["id"] for r in reader.get("/api/releases/").json()["results"]] == [second.pk]


def test_pending_and_blocked_releases_are_not_there(reader, authority):
    pending = published_release(CableFactory(), authority, status="pending", files={})
    blocked = published_release(CableFactory(), authority, status="blocked")

    assert reader.get("/api/releases/").json()["count"] == 0
    for release in (pending, blocked):
        assert reader.get(f"/api/releases/{release.pk}/").status_code == 404
    assert reader.get(f"/api/releases/{blocked.pk}/files/release.txt").status_code == 404


def test_each_file_downloads_as_stored(reader, authority):
    release = published_release(CableFactory(reference_id="06EXAMPLETOWN9"), authority)

    response = reader.get(f"/api/releases/{release.pk}/files/release.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 released"
    assert response["ETag"] == f'"{hashlib.sha256(b"%PDF-1.7 released").hexdigest()}"'
    assert 'filename="06EXAMPLETOWN9-v1-release.pdf"' in response["Content-Disposition"]
    assert reader.get(f"/api/releases/{release.pk}/files/nothing.txt").status_code == 404


def test_the_reading_room_shows_the_latest_version_and_searches_the_released_text(
    reader, authority
):
    cable = CableFactory()
    published_release(cable, authority, version=1)
    latest = published_release(cable, authority, version=2)
    other = published_release(CableFactory(), authority)

    listed = reader.get("/api/releases/").json()["results"]
    found = reader.get("/api/releases/", {"q": "released"}).json()["results"]
    missed = reader.get("/api/releases/", {"q": "nowhere"}).json()["results"]

    assert [r["id"] for r in listed] == [other.pk, latest.pk]
    assert {r["id"] for r in found} == {other.pk, latest.pk}
    assert missed == []


def test_anonymous_callers_get_401(authority):
    release = published_release(CableFactory(), authority)
    anonymous = token_client()

    assert anonymous.get("/api/releases/").status_code == 401
    assert anonymous.get(f"/api/releases/{release.pk}/files/release.txt").status_code == 401


def test_the_release_list_is_a_fixed_number_of_queries(reader, authority):
    published_release(CableFactory(), authority)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert reader.get("/api/releases/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(10):
        published_release(CableFactory(), authority)

    # token, the user's tokens (knox drops expired ones), count, page
    assert few == count() == 4


def test_a_release_page_is_a_fixed_number_of_queries(reader, authority):
    cable = CableFactory()
    releases = [published_release(cable, authority, version=v) for v in (1, 2, 3)]

    with CaptureQueriesContext(connection) as ctx:
        assert reader.get(f"/api/releases/{releases[-1].pk}/").status_code == 200

    # token, the user's tokens, release, its files, the cable's versions
    assert len(ctx.captured_queries) == 5


def test_a_release_withdrawn_for_re_review_is_not_served_and_says_so(reader, authority):
    """Another cable's release withheld text this one published (releases.recheck): the
    round that withdraws it keeps every version of the cable from being served, and the
    answer says it is withdrawn, not which cable withholds what."""
    from django.utils import timezone

    from workflow import rounds

    cable, other = CableFactory(), CableFactory(reference_id="08WITHHOLDING1")
    first = published_release(cable, authority, version=1)
    second = published_release(cable, authority, version=2)
    cause = published_release(other, authority)
    rounds.round_withdraw(
        cable_id=cable.pk, release_id=second.pk, withheld_in_id=other.pk,
        withheld_release_id=cause.pk, withheld_paragraphs=[], at=timezone.now(),
    )  # fmt: skip

    assert [r["id"] for r in reader.get("/api/releases/").json()["results"]] == [cause.pk]
    for release in (second, first):
        answer = reader.get(f"/api/releases/{release.pk}/")
        assert answer.status_code == 404
        assert answer.json()["detail"] == (
            f"Withdrawn for re-review: release {second.pk} (version 2) is not served until "
            "the review publishes a new version."
        )
        file = reader.get(f"/api/releases/{release.pk}/files/release.txt")
        assert file.status_code == 404 and file.json()["detail"].startswith("Withdrawn")
        assert b"08WITHHOLDING1" not in answer.content + file.content
    assert reader.get(f"/api/releases/{cause.pk}/files/release.txt").status_code == 200
