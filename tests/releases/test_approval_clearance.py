"""The approval page of an authority not cleared for every portion of the cable tells her
nothing of the portions above her clearance, and refuses what it always refused.

The form carries, for each paragraph or subject above the viewer's clearance, a ``-``:
not the decision's id, not a fingerprint of it, so the form is the same whether the
portion is decided, how, and before or after it changes.  Such a form never approves:
the authority is refused while she is not cleared, and once cleared the portions she was
not shown read as changed (409).  A blocked release's reasons, which name the portions
whose text leaked and how each was decided, are shown only to an authority cleared for
the whole cable; the quality-control notice counts only the decisions she may read.

Each test acts as the release authority through the pages (the test client loads the
approval page and posts the form it serves); the reviewer changes decisions through the
review service meanwhile.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from cables.models import Cable
from releases.models import Release
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import cleared, decide
from workflow import permissions, qc
from workflow import subject as subject_portion
from workflow.models import Clearance, ReviewState
from workflow.review import cable_transition, current_decisions, decision_record

pytestmark = pytest.mark.django_db

HIDDEN_LABEL = "(b)(1) 1.4(c)"  # paragraph 2 (SECRET) of the conftest cable, withheld


@pytest.fixture
def cora(reviewed: Cable) -> Any:
    """A release authority of the reviewed cable cleared CONFIDENTIAL: paragraph 2
    (SECRET) is above her clearance."""
    user = cleared("cora", Level.C)
    permissions.grant(permissions.RELEASE, user, reviewed)
    return user


def page(client: Any, cable: Cable) -> Any:
    return client.get(reverse("releases:approval", args=[cable.pk]))


def form(client: Any, cable: Cable) -> dict[str, str]:
    """The approval form's hidden fields, as the page serves them (not the CSRF token,
    masked afresh on every page; the test client does not check it)."""
    body = page(client, cable).content.decode()
    fields = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', body)
    return {name: html.unescape(value) for name, value in fields if name != "csrfmiddlewaretoken"}


def post(client: Any, cable: Cable, fields: dict[str, str]) -> Any:
    return client.post(reverse("releases:approve", args=[cable.pk]), fields)


def returned(cable: Cable) -> None:
    """Another release authority returns the reviewed cable for rework."""
    rhea = cleared("rhea")
    permissions.grant(permissions.RELEASE, rhea, cable)
    cable_transition(user=rhea, cable=cable, target=ReviewState.RETURNED)


def redecide(cable: Cable, reviewer: Any, ordinal: int, kind: str, label: str = "") -> None:
    """The cable is returned, one paragraph's decision changed, the review finished again:
    the other paragraphs keep their decisions."""
    returned(cable)
    paragraph = cable.paragraphs.get(ordinal=ordinal)
    decision_record(
        user=reviewer,
        paragraph=paragraph,
        kind=kind,
        based_on=current_decisions(cable)[paragraph.pk].pk,
        label=label,
    )
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)


def raise_clearance(user: Any, level: Level = Level.TS) -> None:
    Clearance.objects.filter(user=user).update(level=int(level))


def shown_decisions(fields: dict[str, str]) -> dict[int, str]:
    """The form's decisions_shown: paragraph id -> what it carries of the decision."""
    pairs = (item.split(":") for item in fields["decisions_shown"].split(","))
    return {int(pid): value for pid, value in pairs}


# -- what the form carries ----------------------------------------------------------------


def test_the_form_carries_no_trace_of_a_paragraph_above_the_clearance(
    client, reviewed, reviewer, cora
):
    client.force_login(cora)
    hidden = reviewed.paragraphs.get(ordinal=2)
    decisions = current_decisions(reviewed)

    before = form(client, reviewed)
    carried = shown_decisions(before)
    # The paragraphs she reads carry their decisions' ids, the hidden one only "-".
    assert carried[hidden.pk] == "-"
    for p in reviewed.paragraphs.exclude(pk=hidden.pk):
        assert carried[p.pk] == str(decisions[p.pk].pk)

    # Its decision changes: her form is the same, field for field.
    redecide(reviewed, reviewer, 2, "withhold", "(b)(3)")
    assert form(client, reviewed) == before


def test_the_form_carries_no_trace_of_a_subject_above_the_clearance(client, reviewer):
    cable = CableFactory(
        level=int(Level.S), subject="(S) PELICANQUORUM TALKS", subject_level=int(Level.S)
    )
    ParagraphFactory(cable=cable, ordinal=1, number="1", level=int(Level.C), text="Talks open.")
    decide(cable, reviewer, {}, subject=("withhold", "(b)(1)"))
    cora = cleared("cora", Level.C)
    permissions.grant(permissions.RELEASE, cora, cable)
    client.force_login(cora)

    before = form(client, cable)
    header = dict(item.split(":") for item in before["header_shown"].split(","))
    assert {name: header[name] for name in ("subject", "subject_withheld", "subject_released")} == {
        "subject": "-",
        "subject_withheld": "-",
        "subject_released": "-",
    }

    # The subject's decision changes: her form is the same.
    returned(cable)
    subject_portion.subject_decision_record(
        user=reviewer,
        cable=cable,
        kind="release",
        based_on=subject_portion.current(cable).pk,
    )
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)
    assert form(client, cable) == before

    # Cleared since, she is told the page did not show her the subject: nothing approved.
    raise_clearance(cora)
    response = post(client, cable, before)
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "the subject was above your clearance when the page was loaded" in body
    assert not Release.objects.exists()


# -- what the form approves ---------------------------------------------------------------


def test_an_uncleared_authority_is_still_refused(client, reviewed, cora):
    client.force_login(cora)

    response = post(client, reviewed, form(client, reviewed))

    assert response.status_code == 302
    body = html.unescape(client.get(response["Location"]).content.decode())
    assert "1 paragraph(s) and the cable's level of this cable above your clearance" in body
    assert not Release.objects.exists()
    assert not AuditEvent.objects.filter(action="release.approved").exists()
    reviewed.status.refresh_from_db()
    assert reviewed.status.review_state == ReviewState.REVIEWED


def test_a_form_loaded_below_the_clearance_does_not_approve_once_cleared(
    client, reviewed, cora, django_capture_on_commit_callbacks
):
    client.force_login(cora)
    fields = form(client, reviewed)

    raise_clearance(cora)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, reviewed, fields)

    # The page did not show her paragraph 2: she is told so and what it now says.
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert (
        "paragraph 2: above your clearance when the page was loaded, "
        f"its decision is now withhold in full {HIDDEN_LABEL}" in body
    )
    assert "paragraph 1:" not in body and "paragraph 3:" not in body
    assert not Release.objects.exists()

    # The page she is answered with shows her everything; its form approves.
    fresh = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', body))
    assert shown_decisions(fresh)[reviewed.paragraphs.get(ordinal=2).pk] != "-"
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, reviewed, fresh)
    assert again.status_code == 302
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason


def test_a_hidden_paragraphs_changed_decision_still_refuses(
    client, reviewed, reviewer, cora, django_capture_on_commit_callbacks
):
    client.force_login(cora)
    fields = form(client, reviewed)

    redecide(reviewed, reviewer, 2, "withhold", "(b)(3)")
    raise_clearance(cora)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, reviewed, fields)

    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "its decision is now withhold in full (b)(3)" in body
    assert not Release.objects.exists()


def test_a_changed_decision_on_a_secret_paragraph_refuses_the_cleared_authority(
    client, reviewed, reviewer, authority, django_capture_on_commit_callbacks
):
    permissions.grant(permissions.RELEASE, authority, reviewed)
    client.force_login(authority)
    fields = form(client, reviewed)
    assert "-" not in shown_decisions(fields).values()  # cleared: every decision's id

    redecide(reviewed, reviewer, 2, "withhold", "(b)(3)")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, reviewed, fields)

    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert (
        f"paragraph 2: the decision shown was withhold in full {HIDDEN_LABEL}, "
        "it is now withhold in full (b)(3)" in body
    )
    assert not Release.objects.exists()


# -- a blocked release's reasons ----------------------------------------------------------


@pytest.fixture
def blocked(client, reviewed, authority, monkeypatch, django_capture_on_commit_callbacks):
    """The cable's release, approved by the cleared authority, blocked by verification
    (an unreadable PDF)."""
    from releases.render import RENDERERS

    broken = dict(RENDERERS)
    broken["pdf"] = ("release.pdf", "application/pdf", lambda doc: b"%PDF-1.7 nothing")
    monkeypatch.setattr("releases.services.RENDERERS", broken)
    permissions.grant(permissions.RELEASE, authority, reviewed)
    client.force_login(authority)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, reviewed, form(client, reviewed)).status_code == 302
    release = Release.objects.get()
    assert release.status == Release.Status.BLOCKED
    assert "PDF: cannot be read" in release.blocked_reason
    return release


def test_the_cleared_authority_reads_why_the_release_was_blocked(client, reviewed, blocked):
    body = page(client, reviewed).content.decode()

    assert "Verification blocked the release" in body
    assert "PDF: cannot be read" in body


def test_a_message_left_unread_does_not_wait_in_the_browser_for_the_next_person(
    client, reviewed, blocked, cora
):
    """The authority's approval left her a message she has not read (here: approved, the
    release being made; where verification runs at once, its reasons); she logs out, and
    the next person to log in on that browser reads none of it."""
    client.post(reverse("logout"))
    client.force_login(cora)

    body = html.unescape(page(client, reviewed).content.decode())

    assert f"{reviewed.reference_id} approved" not in body
    assert "PDF: cannot be read" not in body
    assert "Verification blocked the release" in body  # the page's own notice


def test_an_uncleared_authority_is_told_only_that_verification_blocked_it(
    client, reviewed, blocked, cora
):
    client.force_login(cora)

    body = html.unescape(page(client, reviewed).content.decode())

    assert "Verification blocked the release" in body
    assert "nothing was published" in body
    assert "a release authority cleared for the whole cable must read them" in body
    assert "PDF: cannot be read" not in body


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
def test_an_authority_not_cleared_for_the_subject_is_not_shown_the_reasons(
    client, reviewed, blocked
):
    # A cable's markings are not the application role's to change (audit.db_roles).
    with superuser_connection() as conn:
        conn.execute(
            "UPDATE cables_cable SET subject_level = %s WHERE id = %s",
            [int(Level.TS), reviewed.pk],
        )
    sam = cleared("sam", Level.S)  # every paragraph, not the subject
    permissions.grant(permissions.RELEASE, sam, reviewed)
    # A browser of her own: committed at once, the approval told the authority's browser
    # why it was blocked (a message that browser keeps until it is shown).
    client = Client()
    client.force_login(sam)

    body = html.unescape(page(client, reviewed).content.decode())

    assert "Verification blocked the release" in body
    assert "above your clearance in this cable: the subject" in body
    assert "PDF: cannot be read" not in body


# -- quality control ----------------------------------------------------------------------


def test_the_quality_control_notice_counts_only_the_decisions_she_may_read(
    client, settings, reviewed, authority, cora
):
    settings.DECLASS_QC_SAMPLE_PCT = 100  # every decision sampled: the counts are exact
    permissions.grant(permissions.RELEASE, authority, reviewed)

    def waiting(user: Any) -> str:
        client.force_login(user)
        body = page(client, reviewed).content.decode()
        found = re.search(r"Quality control: (\d+) decision\(s\) of this cable wait", body)
        return found.group(1) if found else "none"

    assert (waiting(authority), waiting(cora)) == ("3", "2")

    # A second reviewer re-decides the hidden paragraph's sample: her notice is the same.
    sven = cleared("sven")
    permissions.grant(permissions.REVIEW, sven, reviewed)
    hidden = current_decisions(reviewed)[reviewed.paragraphs.get(ordinal=2).pk]
    qc.redecide(user=sven, decision_id=hidden.pk, kind="withhold", label=HIDDEN_LABEL)
    assert (waiting(authority), waiting(cora)) == ("2", "2")


def test_an_uncleared_authoritys_page_runs_a_fixed_number_of_queries(
    client, reviewer, django_assert_max_num_queries
):
    cable = CableFactory(level=int(Level.S), subject_level=int(Level.U))
    for n in range(1, 61):
        level = Level.S if n % 2 else Level.U
        ParagraphFactory(cable=cable, ordinal=n, level=int(level), text=f"Paragraph {n}.")
    decide(cable, reviewer, {})
    ursa = cleared("ursa", Level.U)
    permissions.grant(permissions.RELEASE, ursa, cable)
    client.force_login(ursa)

    with django_assert_max_num_queries(20):
        response = page(client, cable)

    assert response.status_code == 200
    assert response.context["page"].hidden == 30
    carried = shown_decisions(
        dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', response.content.decode()))
    )
    assert list(carried.values()).count("-") == 30
