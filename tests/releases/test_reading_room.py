"""The reading room: published releases only, searchable over released text, downloadable."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.urls import reverse

from releases.models import Release
from releases.selectors import reading_room
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from tests.releases.conftest import MINISTER, SOURCE, decide, files_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    """Any logged-in user, holding no permission on any cable."""
    client.force_login(UserFactory(username="rhea"))
    return client


def other_release(reviewer, authority, publish, text, subject="FISHERIES TALKS"):
    cable = CableFactory(subject=subject)
    ParagraphFactory(cable=cable, ordinal=1, text=text)
    decide(cable, reviewer, {})
    return publish(cable, authority)


def test_the_reading_room_lists_published_releases_to_any_logged_in_user(reader, published):
    body = reader.get(reverse("releases:reading_room")).content.decode()

    assert published.reference_id in body
    assert "RELEASED IN PART B1, 1.4(C), B6" in body
    assert reverse("releases:download", args=[published.pk, "release.pdf"]) in body


def test_anonymous_visitors_are_sent_to_log_in(client, published):
    for url in (
        reverse("releases:reading_room"),
        reverse("releases:detail", args=[published.pk]),
        reverse("releases:download", args=[published.pk, "release.txt"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_withheld_text_is_never_reachable_through_the_reading_room(reader, published):
    # Given a released cable whose paragraph 2 names a withheld source and ¶1 a redacted name
    searches = [reader.get(reverse("releases:reading_room"), {"q": q}) for q in (SOURCE, MINISTER)]
    pages = [
        reader.get(reverse("releases:reading_room")),
        reader.get(reverse("releases:detail", args=[published.pk])),
    ] + [
        reader.get(reverse("releases:download", args=[published.pk, f.name]))
        for f in published.files.all()
    ]

    # Then searching for it finds nothing, and no page or file contains it
    assert [s.context["page"].paginator.count for s in searches] == [0, 0]
    for response in pages:
        assert response.status_code == 200
        assert SOURCE.encode() not in response.content
        assert MINISTER.encode() not in response.content


def test_pending_and_blocked_releases_are_not_in_the_reading_room(
    reader, reviewed, authority, publish, monkeypatch
):
    from releases.render import RENDERERS, render_text

    broken = dict(RENDERERS)
    broken["text"] = ("release.txt", "text/plain", lambda d: render_text(d) + MINISTER.encode())
    monkeypatch.setattr("releases.services.RENDERERS", broken)
    blocked = publish(reviewed, authority)

    assert blocked.status == Release.Status.BLOCKED
    assert reader.get(reverse("releases:reading_room")).context["page"].paginator.count == 0
    assert reader.get(reverse("releases:detail", args=[blocked.pk])).status_code == 404
    url = reverse("releases:download", args=[blocked.pk, "release.txt"])
    assert reader.get(url).status_code == 404


def test_each_format_downloads_byte_for_byte_as_stored(reader, published):
    for name, content_type in [
        ("release.txt", "text/plain; charset=utf-8"),
        ("release.html", "text/html; charset=utf-8"),
        ("release.pdf", "application/pdf"),
        ("withholding-index.json", "application/json"),
        ("manifest.json", "application/json"),
    ]:
        response = reader.get(reverse("releases:download", args=[published.pk, name]))

        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response.content == files_of(published)[name]
        assert response["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
        assert "attachment" in response["Content-Disposition"]
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Cache-Control"] == "private, no-cache"  # asked again, kept by no proxy
    missing = reverse("releases:download", args=[published.pk, "original.txt"])
    assert reader.get(missing).status_code == 404


def test_the_detail_page_shows_the_release_its_files_and_withholding_index(reader, published):
    body = reader.get(reverse("releases:detail", args=[published.pk])).content.decode()

    assert "Withholding index" in body
    assert "Paragraph withheld in full" in body and "(b)(1) 1.4(c)" in body
    assert published.manifest_sha256 in body
    assert "1. (C) Defense Minister [(b)(6)] told the Ambassador" in body


def test_search_finds_released_words_only(reader, published, reviewer, authority, publish):
    other = other_release(
        reviewer, authority, publish, "The fisheries agreement was signed by both delegations."
    )

    def found(q):
        return [r.pk for r in reading_room(query=q)]

    assert found("fisheries") == [other.pk]
    assert found("technical experts") == [published.pk]
    assert found(SOURCE) == []
    assert found("harbor") == [published.pk]
    assert set(found("")) == {published.pk, other.pk}


def test_search_is_full_text_stemmed_and_ranked(reader, published, reviewer, authority, publish):
    # Given two more releases, one mentioning harbors once and one many times
    once = other_release(reviewer, authority, publish, "A note on harbors and the weather.")
    often = other_release(
        reviewer, authority, publish, "Harbor fees, harbor pilots and the harbor master: harbors."
    )

    ranked = [r.pk for r in reading_room(query="harbors")]

    # Then stems match ("harbors" finds "harbor", "promises" finds "promised"), the
    # densest match comes first, and web-search syntax works
    assert ranked[0] == often.pk and set(ranked) == {once.pk, often.pk, published.pk}
    assert [r.pk for r in reading_room(query="promises")] == [published.pk]
    assert [r.pk for r in reading_room(query='"technical experts" -weather')] == [published.pk]
    # through the GIN index over the released text
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM releases_release WHERE search_vector @@ "
                       "websearch_to_tsquery('english', 'harbor')")  # fmt: skip
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "releases_release_search_idx" in plan


def test_a_newer_version_replaces_the_older_one_which_is_no_longer_served(
    reader, published, reviewer, authority, publish
):
    """The second round withholds paragraph 2, which version 1 released: version 1's
    files would hand it out still, so only version 2 is served; version 1 is history."""
    from tests.rereview import reopen_for_rereview

    reopen_for_rereview(published.cable)  # an exemption that dated it ran out
    decide(published.cable, reviewer, {2: ("withhold", "(b)(1) 1.4(c)")})
    second = publish(published.cable, authority)

    listed = [r.pk for r in reader.get(reverse("releases:reading_room")).context["page"]]
    assert listed == [second.pk]
    for name in ("release.pdf", "release.txt", "release.html"):
        old = reader.get(reverse("releases:download", args=[published.pk, name]))
        assert old.status_code == 404
        assert reader.get(reverse("releases:download", args=[second.pk, name])).status_code == 200
    old_page = reader.get(reverse("releases:detail", args=[published.pk]), follow=True)
    assert old_page.redirect_chain == [(reverse("releases:detail", args=[second.pk]), 302)]
    body = old_page.content.decode()
    assert "That version was replaced by version 2." in body
    assert "v1 (replaced: no longer served)" in body
    assert reverse("releases:detail", args=[published.pk]) not in body
    assert reverse("releases:download", args=[published.pk, "release.pdf"]) not in body


def test_the_reading_room_list_runs_a_fixed_number_of_queries(
    reader, published, reviewer, authority, publish
):
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(reverse("releases:reading_room"))
        return len(captured), len(response.context["page"].object_list)

    one = queries()
    for n in range(3):
        other_release(reviewer, authority, publish, f"Released paragraph number {n}.")
    four = queries()

    # session, user, the menu's permission lookups, count, page: however many releases
    assert (one[1], four[1]) == (1, 4)
    assert one[0] == four[0] <= 6
