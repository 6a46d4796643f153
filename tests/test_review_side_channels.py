"""A review of the side channels by which cable text reaches a person who may not read it:
the audit trail's pages and exports, notes, caches, filters and fingerprints, pages kept
after a grant was taken away.

The promise (``workflow.access``): nobody reads a paragraph or a subject above their
clearance, nor a cable they hold no grant on, and nothing withheld leaves.  Each test
is written as the person who would meet the defect, granted the way an admin grants
(``manage.py grant``); beside most stands a companion with the same setup for someone
entitled to the answer, so that a guard fails for the reason it names.

Found and fixed: 1. a move's note on the audit trail's page, export and admin page;
2. pages with cable text kept by the browser; 3. a decision's note over the API;
4. TAGS repeating the codename of a hidden subject, shown and filtered by (they now go
with the subject); 5. a queue row kept by the index after a revocation; 6. the signature
over the API below the cable's level; 7. the approval form's conflicts digest confirming
another cable's name; 8. a batch chosen by TAGS, its query shown on the batch's page and on
the audit trail beside a cable whose tags go with a hidden subject.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory, person
from workflow.models import ReviewState

pytestmark = pytest.mark.django_db

READABLE = "The harvest was late this year in the northern provinces."
HIDDEN = "The source NIGHTJAR met the minister at the port on Tuesday."
CODENAME = "NIGHTJAR"


def harbor_cable(state: str, *, hidden_paragraph: bool = True, **fields: Any) -> tuple:
    """07HARBOR12, SECRET: paragraph 1 CONFIDENTIAL (``READABLE``) and, unless told, paragraph 2
    SECRET (``HIDDEN``); returns the cable and both paragraphs (None for a missing one)."""
    cable = CableFactory(
        reference_id="07HARBOR12", level=int(Level.S), review_state=state, **fields
    )
    low = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    hidden = (
        ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=HIDDEN)
        if hidden_paragraph
        else None
    )
    return cable, low, hidden


def staff(username: str, level: Level, *roles: str) -> Any:
    """A persona who works in the admin (its roles carry model permissions)."""
    user = person(username, level, *roles)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def grant(permission: str, user: Any, *cables: Any) -> None:
    """Grant as an admin does from a shell: ``manage.py grant``, as a supervisor."""
    sam = UserFactory(username=f"sam-{user.username}", is_superuser=True, is_staff=True)
    refs = [c.reference_id for c in cables]
    call_command(
        "grant", "--to", user.username, "--perm", permission, "--cables", *refs,
        "--as", sam.username, stdout=io.StringIO(),
    )  # fmt: skip


def return_with_note(client: Any, authority: Any, cable: Any, note: str) -> None:
    """The release authority returns the cable for rework from its page, with a note."""
    client.force_login(authority)
    moved = client.post(
        reverse("workflow:transition", args=[cable.pk]), {"target": "returned", "note": note}
    )
    assert moved.status_code == 302
    client.logout()


# -- 1. A note written on a move is shown by the audit trail to every auditor ---------------
#
# A release authority returning a cable for rework writes why, and the note may quote the
# cable: the review page shows it only to a reviewer cleared for every paragraph and the
# subject (``workflow.review.latest_return``), and the notices carry none.  The audit trail
# records it with the move (``state.changed``, after.note) and showed it whole, on the trail's
# page, in its CSV export and on the admin's event page, to every auditor: one cleared
# CONFIDENTIAL, with no grant on the cable, read the SECRET codename the note quotes.
# Now those three read the entries through ``workflow.access.audit_entries_as_read``: the
# note only where the auditor may read the cable whole (``notes_readable``), the entry
# itself (who moved which cable, when) for every auditor.


@pytest.fixture
def returned_with_note(client: Any) -> dict[str, Any]:
    """07HARBOR12: a SECRET cable reviewed (a CONFIDENTIAL and a SECRET paragraph), which
    amos, its release authority, returns for rework with a note naming the codename."""
    cable, _low, _hidden = harbor_cable(ReviewState.REVIEWED)
    amos = person("amos", Level.S, "release authority")
    grant("release", amos, cable)
    return_with_note(
        client, amos, cable, f"Paragraph 2 names {CODENAME}: redact the codename under 1.4(c)."
    )
    event = AuditEvent.objects.get(cable_id=cable.pk, action="state.changed")
    assert CODENAME in event.after["note"]  # recorded whole: the trail is the record
    return {"cable": cable, "event": event}


def audit_views(client: Any, cable: Any, event: AuditEvent) -> dict[str, str]:
    """What an auditor reads of the cable's entries: the trail's page, its CSV, the
    admin's page of the entry."""
    query = {"cable": cable.reference_id}
    page = client.get(reverse("workflow:audit"), query)
    export = client.get(reverse("workflow:audit_export"), query)
    admin_page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == export.status_code == admin_page.status_code == 200
    return {
        "page": page.content.decode(),
        "export": b"".join(export.streaming_content).decode(),
        "admin": admin_page.content.decode(),
    }


def test_an_auditor_not_cleared_for_the_cable_does_not_read_the_note_of_a_return(
    client, returned_with_note
):
    audrey = staff("audrey", Level.C, "auditor")
    client.force_login(audrey)

    seen = audit_views(client, returned_with_note["cable"], returned_with_note["event"])

    for where, body in seen.items():
        assert "07HARBOR12" in body, where  # the entry is there: who returned which cable
        assert CODENAME not in body, where
    rows = list(csv.DictReader(io.StringIO(seen["export"])))
    moved = [r for r in rows if r["action"] == "state.changed"]
    assert moved and all(CODENAME not in r["after"] for r in moved)


def test_an_auditor_who_may_read_the_whole_cable_reads_the_note(client, returned_with_note):
    olive = staff("olive", Level.TS, "auditor")
    grant("view", olive, returned_with_note["cable"])
    client.force_login(olive)

    seen = audit_views(client, returned_with_note["cable"], returned_with_note["event"])

    for where, body in seen.items():
        assert CODENAME in body, where


# -- 2. Pages that carry cable text are kept by the browser for whoever comes next -------
#
# The workflow's pages and the API answered with no caching headers at all (only the
# admin's pages say ``no-store``, Django's ``admin_view`` does it): a browser keeps the
# review page of a SECRET cable in its cache and history, and after its reviewer logs out
# at a shared desk the next person's Back button, or the browser's offline copy, shows it.
# Messages already leave with the session at logout for that reason; the pages did not.
# Now every answer says ``no-store`` unless its view says otherwise
# (``config.no_store.NoStoreMiddleware``): a new app's routes are covered without
# remembering it; static files, answered by WhiteNoise before it, keep their caching.


@pytest.fixture
def rita_reads_a_secret_cable(client: Any) -> dict[str, Any]:
    """rita, a reviewer cleared SECRET, granted review of 07HARBOR12, logged in."""
    cable, _low, hidden = harbor_cable(ReviewState.IN_REVIEW)
    rita = person("rita", Level.S, "reviewer")
    grant("review", rita, cable)
    client.force_login(rita)
    return {"cable": cable, "paragraph": hidden}


@pytest.mark.parametrize(
    "page",
    [
        "/workflow/cables/{cable}/review/",
        "/cables/{cable}/",
        "/api/paragraphs/{paragraph}/",
        "/api/paragraphs/{paragraph}/?format=api",
    ],
)
def test_a_page_with_secret_text_is_not_kept_by_the_browser(
    client, rita_reads_a_secret_cable, page
):
    ids = {k: v.pk for k, v in rita_reads_a_secret_cable.items()}

    response = client.get(page.format(**ids))

    assert response.status_code == 200 and CODENAME in response.content.decode()
    caching = response.get("Cache-Control", "")
    assert "no-store" in caching and "private" in caching


@pytest.mark.parametrize(
    "page",
    [
        "/workflow/",
        "/workflow/forecast/",
        "/workflow/notifications/",
        "/releases/",
        "/api/cables/",
        "/no-such-page/",
        "/workflow/cables/999999/review/",
    ],
)
def test_every_other_answer_is_not_kept_either(client, rita_reads_a_secret_cable, page):
    """Lists, error pages and API answers too: any of them may name a cable."""
    response = client.get(page)

    assert response.status_code in (200, 302, 403, 404), page
    caching = response.get("Cache-Control", "")
    assert "no-store" in caching and "private" in caching, (page, caching)


def test_the_login_page_and_the_admin_are_not_kept(client, admin_user):
    assert "no-store" in Client().get("/login/").get("Cache-Control", "")
    client.force_login(admin_user)
    assert "no-store" in client.get("/admin/cables/cable/").get("Cache-Control", "")


# -- 3. A decision's note is read by every reviewer of its paragraph --------------------
#
# A reviewer's note on a paragraph's decision is their own words, and like the note of a
# return it may quote any portion of the cable ("withheld: repeats the codename of ¶2").
# The API listed every decision with its note to whoever may read the paragraph: a
# co-reviewer cleared CONFIDENTIAL read, in the note on the CONFIDENTIAL paragraph, the
# codename of the SECRET one.  Now a decision's note, and a subject decision's, is sent
# only to whoever may read the cable's notes (``workflow.access.notes_readable``), null
# to the others (``api.serializers.note_as_read``).


@pytest.fixture
def decided_with_note() -> dict[str, Any]:
    """07HARBOR12 in review: tess (TOP SECRET) withholds its CONFIDENTIAL paragraph over
    the API with a note naming the SECRET paragraph's codename; lena, cleared
    CONFIDENTIAL, reviews the cable too."""
    from tests.api.helpers import token_client

    cable, low, _hidden = harbor_cable(ReviewState.IN_REVIEW)
    tess, lena = person("tess", Level.TS, "reviewer"), person("lena", Level.C, "reviewer")
    grant("review", tess, cable)
    grant("review", lena, cable)
    posted = token_client(tess).post(
        f"/api/paragraphs/{low.pk}/decisions/",
        {
            "kind": "withhold",
            "based_on": None,
            "label": "(b)(1) 1.4(d)",
            "note": f"Withheld: it dates the meeting of {CODENAME} in paragraph 2.",
        },
        format="json",
    )
    assert posted.status_code == 201, posted.content
    return {"cable": cable, "low": low, "tess": tess, "lena": lena}


def decision_answers(user: Any, cable: Any, paragraph: Any) -> list[dict[str, Any]]:
    from tests.api.helpers import token_client

    api = token_client(user)
    answers = [
        api.get(f"/api/cables/{cable.pk}/decisions/"),
        api.get(f"/api/paragraphs/{paragraph.pk}/decisions/"),
    ]
    assert all(a.status_code == 200 for a in answers)
    rows = [row for a in answers for row in a.json()["results"]]
    assert len(rows) == 2 and all(row["kind"] == "withhold" for row in rows)
    return rows


def test_a_reviewer_not_cleared_for_the_whole_cable_does_not_read_a_decisions_note(
    decided_with_note,
):
    d = decided_with_note

    rows = decision_answers(d["lena"], d["cable"], d["low"])

    assert all(row["note"] is None for row in rows)
    assert CODENAME not in str(rows)


def test_a_reviewer_cleared_for_the_whole_cable_reads_a_decisions_note(decided_with_note):
    d = decided_with_note

    rows = decision_answers(d["tess"], d["cable"], d["low"])

    assert all(CODENAME in row["note"] for row in rows)


# -- 4. A subject above the reader's clearance is repeated by the TAGS line --------------
#
# The subject is a portion, hidden from a reader not cleared for it, but the TAGS line
# repeats its words often enough (an operation's codename: "PREL BLUEHERON"), and it was
# shown to whoever may view the cable: the cable page, the review page, the admin's cable
# page and the API's cable showed the codename the hidden subject carries, and the tag
# filters (the queue's, the API's ``?tag=``, an assignment's query, the rule form's
# suggestions) answered by it.  Now a cable's tags go with its subject: a reader who may
# not read the subject reads neither its tags (shown withheld, null over the API) nor
# anything a tag filter says of them; every place asks ``workflow.access`` (``tags_for``,
# ``tagged``, ``tags_readable``, ``tags_readable_sql``).  A release already boxes the
# subject's words in its header lines (``releases.document.subject_fragments``).

SUBJECT_CODENAME = "BLUEHERON"


@pytest.fixture
def subject_in_tags() -> dict[str, Any]:
    """07HARBOR12, SECRET, subject "(S) OPERATION BLUEHERON ..." and TAGS "PREL BLUEHERON";
    lena, cleared CONFIDENTIAL, reviews it (she reads its CONFIDENTIAL paragraph)."""
    cable, _low, _hidden = harbor_cable(
        ReviewState.IN_REVIEW,
        hidden_paragraph=False,
        subject=f"(S) OPERATION {SUBJECT_CODENAME}: TALKS WITH THE PALACE",
        subject_level=int(Level.S),
        tags=["PREL", SUBJECT_CODENAME],
    )
    from cables.models import CableTag

    CableTag.objects.bulk_create(CableTag(cable=cable, tag=t) for t in cable.tags)
    lena = person("lena", Level.C, "reviewer")
    grant("review", lena, cable)
    return {"cable": cable, "lena": lena}


def tags_as_read(client: Any, user: Any, cable: Any) -> dict[str, Any]:
    """What a reader of the cable reads of its tags: the cable page, the review page, the
    API's cable, and how many cables the API's tag filter counts for the codename and for
    a tag the cable does not carry."""
    from tests.api.helpers import token_client

    client.force_login(user)
    api = token_client(user)
    return {
        "page": client.get(reverse("cables:detail", args=[cable.pk])).content.decode(),
        "review": client.get(reverse("workflow:review", args=[cable.pk])).content.decode(),
        "detail": api.get(f"/api/cables/{cable.pk}/").json(),
        "by_codename": api.get("/api/cables/", {"tag": SUBJECT_CODENAME}).json()["count"],
        "by_other": api.get("/api/cables/", {"tag": "KINGFISHER"}).json()["count"],
    }


def queue_references(client: Any, **query: str) -> str:
    """The logged-in reviewer's queue page, filtered as ``query`` says."""
    response = client.get(reverse("workflow:queue"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_reader_below_the_subject_does_not_read_its_codename_in_the_tags(client, subject_in_tags):
    from tests.api.helpers import token_client

    cable, lena = subject_in_tags["cable"], subject_in_tags["lena"]
    client.force_login(lena)
    api = token_client(lena)

    page = client.get(reverse("cables:detail", args=[cable.pk])).content.decode()
    detail = api.get(f"/api/cables/{cable.pk}/").json()
    by_codename = api.get("/api/cables/", {"tag": SUBJECT_CODENAME}).json()["count"]
    by_other = api.get("/api/cables/", {"tag": "KINGFISHER"}).json()["count"]

    assert detail["subject"] is None  # the subject itself is hidden from her
    assert SUBJECT_CODENAME not in page
    assert SUBJECT_CODENAME not in str(detail)
    assert by_codename == by_other


def test_the_tags_of_a_hidden_subject_are_shown_withheld_on_every_page(client, subject_in_tags):
    cable, lena = subject_in_tags["cable"], subject_in_tags["lena"]

    seen = tags_as_read(client, lena, cable)

    assert "07HARBOR12" in seen["review"] and READABLE in seen["review"]  # her page opens
    for where in ("page", "review"):
        assert SUBJECT_CODENAME not in seen[where], where
        assert "Above your clearance, with the subject" in seen[where], where
    assert seen["detail"]["tags"] is None and seen["detail"]["subject_hidden"] is True
    assert seen["by_codename"] == seen["by_other"] == 0
    assert api_count_of_every_cable(lena) == 1  # the cable is hers, unfiltered


def api_count_of_every_cable(user: Any) -> int:
    from tests.api.helpers import token_client

    return token_client(user).get("/api/cables/").json()["count"]


def test_the_queue_does_not_select_a_cable_by_the_tags_of_a_hidden_subject(client, subject_in_tags):
    client.force_login(subject_in_tags["lena"])

    assert "07HARBOR12" in queue_references(client)  # in her queue, unfiltered
    for query in ({}, {"state": ReviewState.IN_REVIEW}):  # the queue's index, the status rows
        for tag in (SUBJECT_CODENAME, "PREL"):
            assert "07HARBOR12" not in queue_references(client, tag=tag, **query), (query, tag)


def test_a_supervisor_below_the_subject_does_not_choose_a_batch_by_its_tags(
    client, subject_in_tags
):
    sue = person("sue", Level.C, "supervisor")
    grant("view", sue, subject_in_tags["cable"])
    client.force_login(sue)

    def matching(**query: str) -> int:
        response = client.post(
            reverse("workflow:assign_preview"), {"permission": "review", **query}
        )
        return response.context["preview"]["shown"].matching

    assert matching() == 1  # the cable is hers to assign
    assert matching(tag=SUBJECT_CODENAME) == matching(tag="KINGFISHER") == 0


def test_the_rule_form_does_not_suggest_the_tags_of_a_hidden_subject(client, subject_in_tags):
    eddie = staff("eddie", Level.C, "rule editor")
    grant("view", eddie, subject_in_tags["cable"])
    client.force_login(eddie)

    html = client.get(reverse("admin:redaction_redactionrule_add")).content.decode()

    posts = re.search(r'<datalist id="id_scope_posts-suggestions">(.*?)</datalist>', html, re.S)
    tags = re.search(r'<datalist id="id_scope_tags-suggestions">(.*?)</datalist>', html, re.S)
    assert "Embassy Exampletown" in posts.group(1)  # the cable's post: a header field she reads
    assert SUBJECT_CODENAME not in tags.group(1) and "PREL" not in tags.group(1)


def test_the_admins_cable_page_shows_the_tags_of_a_hidden_subject_withheld(client, subject_in_tags):
    vera = staff("vera", Level.C)
    grant("view", vera, subject_in_tags["cable"])
    client.force_login(vera)

    page = client.get(reverse("admin:cables_cable_change", args=[subject_in_tags["cable"].pk]))

    assert page.status_code == 200
    assert SUBJECT_CODENAME not in page.content.decode()
    assert "(above your clearance, with the subject)" in page.content.decode()


def test_a_reader_cleared_for_the_subject_reads_and_filters_by_its_tags(client, subject_in_tags):
    cable = subject_in_tags["cable"]
    sara = person("sara", Level.S, "reviewer")
    grant("review", sara, cable)

    seen = tags_as_read(client, sara, cable)

    for where in ("page", "review"):
        assert "PREL BLUEHERON" in seen[where], where
    assert seen["detail"]["tags"] == ["PREL", SUBJECT_CODENAME]
    assert (seen["by_codename"], seen["by_other"]) == (1, 0)
    for query in ({}, {"state": ReviewState.IN_REVIEW}):
        assert "07HARBOR12" in queue_references(client, tag=SUBJECT_CODENAME, **query), query
        assert "07HARBOR12" not in queue_references(client, tag="KINGFISHER", **query), query


def test_staff_cleared_for_the_subject_assign_suggest_and_see_by_its_tags(client, subject_in_tags):
    cable = subject_in_tags["cable"]
    olga = staff("olga", Level.S, "supervisor", "rule editor")
    grant("view", olga, cable)
    client.force_login(olga)

    preview = client.post(
        reverse("workflow:assign_preview"), {"permission": "review", "tag": SUBJECT_CODENAME}
    )
    rule_form = client.get(reverse("admin:redaction_redactionrule_add")).content.decode()
    admin_page = client.get(reverse("admin:cables_cable_change", args=[cable.pk]))

    assert preview.context["preview"]["shown"].matching == 1
    tags = re.search(r'<datalist id="id_scope_tags-suggestions">(.*?)</datalist>', rule_form, re.S)
    assert f'<option value="{SUBJECT_CODENAME}">' in tags.group(1)
    assert f'"PREL", "{SUBJECT_CODENAME}"' in admin_page.content.decode().replace("&quot;", '"')


# Two more tag filters: the forecast's (``CableFilters.apply`` now always names its reader)
# and a rule's dry run scoped by TAGS (``redaction.dry_run`` is handed the cables whose tags
# the editor reads, ``access.tags_readable``: a scope naming TAGS reaches only those, and no
# version sees the others' tags).


def test_the_forecast_does_not_count_a_cable_by_the_tags_of_a_hidden_subject(
    client, subject_in_tags
):
    from django.utils import timezone

    from workflow.models import CableStatus

    cable = subject_in_tags["cable"]
    CableStatus.objects.filter(cable=cable).update(declass_date=timezone.now().date())
    client.force_login(subject_in_tags["lena"])

    def total(**query: str) -> int:
        return client.get(reverse("workflow:forecast"), query).context["forecast"].total

    assert total() == 1  # the cable is counted for her, unfiltered
    assert total(tag=SUBJECT_CODENAME) == total(tag="KINGFISHER")


def _dry_run_scans(client, editor, tag: str) -> int:  # noqa: ANN001
    """Paragraphs a rule scoped by ``tag`` scans in the editor's dry run (in the admin)."""
    from redaction.models import RedactionRule
    from redaction.rule_services import rule_save

    client.force_login(editor)
    rule = RedactionRule(
        name=f"harvest in {tag}", kind="terms", terms="harvest", label="(b)(6)",
        scope_tags=[tag],
    )  # fmt: skip
    rule_save(rule=rule, user=editor)
    page = client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))
    return page.context["result"].scanned


def test_a_rules_dry_run_does_not_reach_a_cable_by_the_tags_of_a_hidden_subject(
    client, subject_in_tags
):
    eddie = staff("eddie", Level.C, "rule editor")
    grant("view", eddie, subject_in_tags["cable"])

    assert _dry_run_scans(client, eddie, SUBJECT_CODENAME) == _dry_run_scans(
        client, eddie, "KINGFISHER"
    )


def test_a_rules_dry_run_reaches_a_cable_by_its_tags_for_an_editor_cleared_for_the_subject(
    client, subject_in_tags
):
    eddie = staff("eddie", Level.S, "rule editor")
    grant("view", eddie, subject_in_tags["cable"])

    assert _dry_run_scans(client, eddie, SUBJECT_CODENAME) == 1
    assert _dry_run_scans(client, eddie, "KINGFISHER") == 0


# A batch chosen by TAGS records and shows its query beside its cables: the batch's page
# shows it only to a viewer who reads every one of its cables' tags
# (``BatchProgress.query_shown``), and the audit trail withholds the tag from a reader who
# does not (``access.audit_entries_as_read``).


def _batch_by_codename(cable, assignee):  # noqa: ANN001, ANN202
    from workflow import assignment

    olga = person("olga", Level.S, "supervisor")
    grant("view", olga, cable)
    return assignment.assign(
        actor=olga,
        assignee=assignee,
        permission="review",
        query=assignment.CableQuery(tag=SUBJECT_CODENAME),
    )


@pytest.mark.parametrize(("level", "shown"), [(Level.C, False), (Level.S, True)])
def test_a_batch_chosen_by_tags_shows_its_query_only_to_who_reads_the_tags(
    client, subject_in_tags, level, shown
):
    rita = person("rita", level, "reviewer")
    grant("view", rita, subject_in_tags["cable"])  # she may view the cable
    batch = _batch_by_codename(subject_in_tags["cable"], rita)
    client.force_login(rita)

    page = client.get(reverse("workflow:batch", args=[batch.pk])).content.decode()

    assert "07HARBOR12" in page
    assert (SUBJECT_CODENAME in page) is shown


@pytest.mark.parametrize(("level", "shown"), [(Level.C, False), (Level.S, True)])
def test_the_audit_trail_withholds_a_batchs_tag_beside_a_cable_whose_tags_are_hidden(
    client, subject_in_tags, level, shown
):
    from audit.models import AuditEvent

    _batch_by_codename(subject_in_tags["cable"], person("rita", Level.C, "reviewer"))
    event = AuditEvent.objects.filter(action="assignment.created").latest("pk")
    audrey = staff("audrey", level, "auditor")
    client.force_login(audrey)

    page = client.get(reverse("workflow:audit"), {"action": "assignment.created"})
    export = client.get(reverse("workflow:audit_export"))
    admin_page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    bodies = {
        "page": page.content.decode(),
        "export": b"".join(export.streaming_content).decode(),
        "admin": admin_page.content.decode(),
    }

    assert all("07HARBOR12" in body for body in bodies.values())
    assert {name: SUBJECT_CODENAME in body for name, body in bodies.items()} == dict.fromkeys(
        bodies, shown
    )


# -- 5. A grant taken away while the queue's index lags behind --------------------------
#
# The queue reads its rows from an index the database keeps in step with the grants
# (``workflow.queue_index``); two transactions committing at once can leave a row behind
# until the repair after the next due sweep (every 15 minutes).  The queue's rows were
# then filled from the cable with no grant asked again (``selectors.queue_cables``: the
# subject by clearance alone), so a reviewer whose grant was just revoked went on
# reading the cable's subject in her queue until the repair.  (The triage batch, which
# reads the same index, asks the grants again.)  Now ``queue_cables`` asks the grants in
# its own statement (``workflow.access.readable_cables_sql``): the stale row is dropped.


@pytest.fixture
def revoked_behind_the_index() -> dict[str, Any]:
    """lena, a reviewer cleared SECRET, was granted review of 07HARBOR12 and had it
    revoked (both through ``manage.py grant``); her queue's index kept the row, as a
    revocation committing beside another grant change leaves it."""
    from workflow.models import QueueEntry

    cable, _low, _hidden = harbor_cable(
        ReviewState.DUE,
        hidden_paragraph=False,
        subject=f"(S) OPERATION {CODENAME}: TALKS WITH THE PALACE",
        subject_level=int(Level.S),
    )
    lena = person("lena", Level.S, "reviewer")
    grant("review", lena, cable)
    row = QueueEntry.objects.get(holder_kind="u", holder_id=lena.pk, cable=cable)
    sam = UserFactory(username="sam", is_superuser=True, is_staff=True)
    call_command(
        "grant", "--to", lena.username, "--perm", "review", "--cables", cable.reference_id,
        "--revoke", "--as", sam.username, stdout=io.StringIO(),
    )  # fmt: skip
    assert not QueueEntry.objects.filter(holder_id=lena.pk).exists()
    row.save(force_insert=True)  # the row a concurrent commit leaves behind
    return {"cable": cable, "lena": lena}


def test_a_revoked_reviewer_does_not_read_the_subject_in_her_queue(
    client, revoked_behind_the_index
):
    client.force_login(revoked_behind_the_index["lena"])

    response = client.get(reverse("workflow:queue"))

    assert response.status_code == 200
    assert CODENAME not in response.content.decode()
    assert "07HARBOR12" not in response.content.decode()


def test_a_reviewer_holding_the_grant_reads_the_subject_in_her_queue(client):
    cable = CableFactory(
        reference_id="07HARBOR12",
        level=int(Level.S),
        review_state=ReviewState.DUE,
        subject=f"(S) OPERATION {CODENAME}: TALKS WITH THE PALACE",
        subject_level=int(Level.S),
    )
    lena = person("lena", Level.S, "reviewer")
    grant("review", lena, cable)
    client.force_login(lena)

    assert CODENAME in client.get(reverse("workflow:queue")).content.decode()


# -- 6. The signer's name, read from the raw text, sent below the cable's level ----------
#
# The signature is read from the end of the raw text (glued at times to the last
# paragraph, and a release boxes a withheld subject's words in it): the admin's cable page
# shows it only with the raw text, to a reader cleared for the cable, its subject and
# every paragraph (``access.may_read_raw_text``).  The API sent it wherever no paragraph
# was above the reader: to one cleared CONFIDENTIAL, of a SECRET cable whose paragraphs
# are CONFIDENTIAL and whose SECRET subject she may not read.  Now the API asks
# ``access.raw_text_readable_when_authorised``, as the admin asks ``may_read_raw_text``.


@pytest.fixture
def signed_secret_subject() -> dict[str, Any]:
    """07HARBOR12: SECRET, its subject (S) and its one paragraph (C), signed RICEWOOD;
    cora (CONFIDENTIAL) and sid (SECRET) may view it."""
    cable = CableFactory(
        reference_id="07HARBOR12",
        level=int(Level.S),
        subject=f"(S) OPERATION {CODENAME}: TALKS WITH THE PALACE",
        subject_level=int(Level.S),
        signature="RICEWOOD",
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    cora, sid = person("cora", Level.C), person("sid", Level.S)
    grant("view", cora, cable)
    grant("view", sid, cable)
    return {"cable": cable, "cora": cora, "sid": sid}


def signature_over_the_api(user: Any, cable: Any) -> Any:
    from tests.api.helpers import token_client

    answer = token_client(user).get(f"/api/cables/{cable.pk}/")
    assert answer.status_code == 200
    return answer.json()


def test_a_reader_below_the_cable_and_its_subject_is_not_sent_the_signature(
    signed_secret_subject,
):
    body = signature_over_the_api(signed_secret_subject["cora"], signed_secret_subject["cable"])

    assert body["subject"] is None and body["paragraphs_hidden"] == 0
    assert body["signature"] is None
    assert "RICEWOOD" not in str(body)


def test_a_reader_cleared_for_the_whole_cable_is_sent_the_signature(signed_secret_subject):
    body = signature_over_the_api(signed_secret_subject["sid"], signed_secret_subject["cable"])

    assert body["signature"] == "RICEWOOD"


# -- 7. The approval form fingerprints the name of a cable outside the authority's grants
#
# A conflict with a cable the authority may not view is named only as "another cable (not
# yours to view)".  The approval form carried, for the acknowledgement, a plain sha256 of
# the conflicts' records (``releases.conflicts.conflicts_digest``), and each record names
# the other cable by its reference: with the paragraph ids of her own cable, the other
# decision's id (a sequence) and the paragraph's number, a guess at the reference is
# confirmed offline, one hash at a time, as the subject's fingerprint once was.  Now the
# digest is keyed with the server's secret (``salted_hmac``), as that fingerprint is.

TALKS = (
    "The foreign minister told the ambassador on Tuesday that the government would "
    "resume talks with the northern opposition in March, provided that the ceasefire "
    "held and the opposition released the two engineers it detained in January."
)


@pytest.fixture
def conflict_elsewhere() -> dict[str, Any]:
    """07OTHER991 withholds a paragraph that 07HARBOR12, reviewed, would release; amos,
    release authority of 07HARBOR12 (TOP SECRET), holds no grant on 07OTHER991."""
    from cables.similarity import store
    from tests.releases.conftest import decide

    other = CableFactory(reference_id="07OTHER991", review_state=ReviewState.IN_REVIEW)
    ParagraphFactory(cable=other, ordinal=1, text=TALKS)
    decide(other, person("wanda", Level.TS), {1: ("withhold", "(b)(1) 1.4(d)")})
    mine = CableFactory(reference_id="07HARBOR12")
    ParagraphFactory(cable=mine, ordinal=1, text=TALKS)
    decide(mine, person("rita", Level.TS), {})
    store.index_cables([other.pk, mine.pk])
    amos = person("amos", Level.TS, "release authority")
    grant("release", amos, mine)
    return {"mine": mine, "other": other, "amos": amos}


def plain_digest(records: list[dict[str, Any]]) -> str:
    """The conflicts' digest as anyone can compute it from records they guess."""
    import hashlib
    import json

    ordered = sorted(records, key=lambda r: json.dumps(r, sort_keys=True))
    return hashlib.sha256(json.dumps(ordered, sort_keys=True).encode()).hexdigest()


def test_the_approval_form_does_not_confirm_a_guess_at_the_other_cables_name(
    client, conflict_elsewhere
):
    import re

    from workflow.models import Decision

    mine, other = conflict_elsewhere["mine"], conflict_elsewhere["other"]
    client.force_login(conflict_elsewhere["amos"])
    page = client.get(reverse("releases:approval", args=[mine.pk])).content.decode()
    assert "another cable (not yours to view)" in page and "07OTHER991" not in page
    digest = re.search(r'name="conflicts_digest" value="([^"]*)"', page).group(1)
    withheld = Decision.objects.get(cable=other)
    paragraph = mine.paragraphs.get()

    def guess(reference: str) -> str:
        return plain_digest(
            [
                {
                    "paragraph_id": paragraph.pk, "paragraph": str(paragraph.ordinal),
                    "other_cable": reference, "other_paragraph": "1",
                    "other_decision_id": withheld.pk, "other_decision": "withhold",
                    "labels": ["(b)(1) 1.4(d)"], "exposed": [[0, len(TALKS.rstrip("."))]],
                }
            ]
        )  # fmt: skip

    assert digest not in {guess("07OTHER991"), guess("07OTHER990")}
