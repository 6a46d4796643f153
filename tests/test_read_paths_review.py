"""A review of the paths by which cable text leaves the service: each defect found, shown
as the person who would exploit it, through the pages they use.

The promise (``workflow.access``): nobody reads a paragraph or a subject above their
clearance, nor a cable they hold no grant on.  Reading includes telling one text from
another: a page that answers differently depending on text the user may not read
discloses that text, a guess at a time.

Each defect the review found is fixed; its test, written as the person who would
exploit it, now guards the fix.  Beside each stands a companion test with the same
setup for someone entitled to the answer, showing that the guard fails for the reason
it names and not for a broken setup.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cables.markings import Level
from cables.models import Cable
from redaction.models import RedactionRule
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from tests.workflow.test_access_dry_run import add_rule  # the rule editor's admin form
from workflow import permissions
from workflow import subject as subject_portion
from workflow.models import CableStatus, Clearance, ReviewState
from workflow.review import current_decisions, decision_record

pytestmark = pytest.mark.django_db

CONFIDENTIAL_TEXT = "The harvest was late this year in the northern provinces."
SECRET_TEXT = "The source NIGHTJAR met the minister at the port on Tuesday."
RAW = f"S E C R E T ... raw telegram\n1. (C) {CONFIDENTIAL_TEXT}\n2. (S) {SECRET_TEXT}"
SECRET_SUBJECT = "(S) OPERATION BLUEHERON: TALKS WITH THE PALACE"


def staff(group: str, level: Level, username: str) -> Any:
    """A member of one of the service's roles, logged in to the admin, with a clearance."""
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    Clearance.objects.create(user=user, level=int(level))
    return user


def cleared(username: str, level: Level) -> Any:
    user = UserFactory(username=username)
    Clearance.objects.create(user=user, level=int(level))
    return user


# -- 1. The admin's cable list filtered by a field of the URL ------------------------------
#
# ``CableAdmin.get_search_results`` searches the subject only where the user may read it,
# and the raw text not at all.  Django's change list also applies every query parameter
# naming a local field (``ModelAdmin.lookup_allowed`` allows any lookup on the model's
# own fields), so ``?raw_text__icontains=WORD`` and ``?subject__icontains=WORD`` filter
# the list by text the user is not cleared for: the cable is listed or not as the word is
# there or not.


@pytest.fixture
def secret_cable() -> Cable:
    cable = CableFactory(
        reference_id="06SECRETPOST7",
        level=int(Level.S),
        raw_text=RAW,
        subject=SECRET_SUBJECT,
        subject_level=int(Level.S),
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=CONFIDENTIAL_TEXT)
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=SECRET_TEXT)
    return cable


def admin_listing(client: Any, query: dict[str, str]) -> Any:
    return client.get(reverse("admin:cables_cable_changelist"), query)


@pytest.mark.parametrize(
    ("lookup", "present", "absent"),
    [
        ("raw_text__icontains", "NIGHTJAR", "WAXWING"),
        ("raw_text__regex", "NIGHT.AR", "WAX.ING"),
        ("subject__icontains", "BLUEHERON", "KINGFISHER"),
        ("paragraphs__text__icontains", "NIGHTJAR", "WAXWING"),
    ],
)
@pytest.mark.parametrize(("level", "username"), [(Level.C, "cleo"), (Level.TS, "tess")])
def test_admin_cable_list_does_not_tell_an_admin_what_the_text_holds(
    client, secret_cable, lookup, present, absent, level, username
):
    # Given an admin with a view grant on a cable whose second paragraph and subject are
    # SECRET, cleared CONFIDENTIAL (the change page hides both, and the raw text) or TOP
    # SECRET (harmless for them, but the list keeps no door that opens by clearance: text
    # is searched by the search box, which checks what the user may read)
    user = staff("admin", level, username)
    permissions.grant(permissions.VIEW, user, secret_cable)
    client.force_login(user)
    # When they filter the list from the URL by a word of the text, and by a word not in it
    with_word = admin_listing(client, {lookup: present})
    without_word = admin_listing(client, {lookup: absent})
    # Then both are refused alike (Django's answer to a lookup it does not allow)
    assert with_word.status_code == without_word.status_code == 400
    assert b"06SECRETPOST7" not in with_word.content + without_word.content


def test_admin_cable_list_still_filters_by_its_declared_filters(client, secret_cable):
    user = staff("admin", Level.C, "cleo")
    permissions.grant(permissions.VIEW, user, secret_cable)
    client.force_login(user)

    listed = admin_listing(client, {"level__exact": str(int(Level.S))})
    other = admin_listing(client, {"level__exact": str(int(Level.C))})

    assert listed.status_code == other.status_code == 200
    assert b"06SECRETPOST7" in listed.content
    assert b"06SECRETPOST7" not in other.content


# -- 2. The approval page's preview prints a subject above the authority's clearance ----
#
# ``releases.preview.release_preview`` refuses the preview only when a paragraph is
# above the authority's clearance (``access.paragraphs_hidden``); the header goes in
# whole (``releases.services.header_in``), and a subject that its reviewer released is
# printed on the SUBJECT line.  The same page's heading says "Subject above your
# clearance" (``access.subject_for``).


@pytest.fixture
def reviewed_cable() -> Cable:
    """A SECRET cable whose subject is SECRET and whose paragraphs are CONFIDENTIAL, all
    released by a reviewer cleared TOP SECRET (subject included), review finished."""
    cable = CableFactory(
        reference_id="07SECRETPOST9",
        level=int(Level.S),
        subject=SECRET_SUBJECT,
        subject_level=int(Level.S),
        review_state=ReviewState.IN_REVIEW,
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=CONFIDENTIAL_TEXT)
    ParagraphFactory(
        cable=cable, ordinal=2, level=int(Level.C), text="The talks resume in the autumn."
    )
    reviewer = cleared("rita", Level.TS)
    permissions.grant(permissions.REVIEW, reviewer, cable)
    subject_portion.subject_decision_record(
        user=reviewer, cable=cable, kind="release", based_on=None
    )
    for paragraph in cable.paragraphs.order_by("ordinal"):
        current = current_decisions(cable).get(paragraph.pk)
        decision_record(
            user=reviewer,
            paragraph=paragraph,
            kind="release",
            based_on=current.pk if current else None,
        )
    CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.REVIEWED)
    return cable


def approval_page(client: Any, user: Any, cable: Cable) -> str:
    permissions.grant(permissions.RELEASE, user, cable)
    client.force_login(user)
    response = client.get(reverse("releases:approval", args=[cable.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_approval_preview_prints_a_released_subject_to_an_authority_cleared_for_it(
    client, reviewed_cable
):
    # Given a release authority cleared SECRET
    body = approval_page(client, cleared("amos", Level.S), reviewed_cable)
    # Then the preview is built and prints the released subject
    assert CONFIDENTIAL_TEXT in body
    assert "BLUEHERON" in body


def test_the_approval_page_shows_a_c_cleared_authority_no_secret_subject(client, reviewed_cable):
    # Given a release authority cleared CONFIDENTIAL: every paragraph is within their
    # clearance, the subject is not
    body = approval_page(client, cleared("cora", Level.C), reviewed_cable)
    # Then the page says the subject is above their clearance
    assert "Subject above your clearance" in body
    # And no word of the subject reaches them, in the heading or in the preview
    assert "BLUEHERON" not in body


def test_an_authority_not_cleared_for_the_subject_cannot_approve_its_release(
    client, reviewed_cable
):
    import html as html_module

    from releases.models import Release

    # Given a release authority cleared CONFIDENTIAL for a cable with a SECRET subject
    authority = cleared("cora", Level.C)
    page = approval_page(client, authority, reviewed_cable)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))
    # When they post the approval form as the page served it
    response = client.post(
        reverse("releases:approve", args=[reviewed_cable.pk]),
        {k: html_module.unescape(v) for k, v in fields.items()},
        follow=True,
    )
    # Then nothing is approved, and the page says why
    assert not Release.objects.filter(cable=reviewed_cable).exists()
    assert "the subject and the cable's level of this cable above your clearance" in html.unescape(
        response.content.decode()
    )


# -- 3. A rule's dry run counts hits in paragraphs the editor may not read --------------
#
# ``redaction.dry_run.rule_dry_run`` shows samples only of readable paragraphs but counts
# every hit (``paragraphs_hit``, ``cables_hit``, ``unreadable_paragraphs_hit``).  A rule
# editor writes the rule, so the count answers any question about the hidden text: two
# dry runs differing by one word tell which word the SECRET paragraph holds.


@pytest.fixture
def on_commit_runs_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def paragraphs_hit(client: Any, rule: RedactionRule) -> int:
    """The count the dry run page prints: "<strong>N</strong> paragraph(s) in ..."."""
    response = client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))
    assert response.status_code == 200
    found = re.search(r"<strong>(\d+)</strong> paragraphs? in", response.content.decode())
    assert found is not None
    return int(found.group(1))


@pytest.fixture
def secret_paragraph_alone() -> Cable:
    cable = CableFactory(reference_id="06SECRETPOST8", level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text=SECRET_TEXT)
    return cable


def test_a_dry_run_counts_what_a_cleared_editor_may_read(
    client, on_commit_runs_at_once, secret_paragraph_alone
):
    # Given a rule editor cleared SECRET with a grant on the cable
    user = staff("rule editor", Level.S, "edna")
    permissions.grant(permissions.VIEW, user, secret_paragraph_alone)
    client.force_login(user)
    # When they dry-run two rules differing by one word
    tuesday = add_rule(client, r"port on Tuesday", "probe tuesday")
    monday = add_rule(client, r"port on Monday", "probe monday")
    # Then the counts tell the word in the paragraph, which they may read anyway
    assert (paragraphs_hit(client, tuesday), paragraphs_hit(client, monday)) == (1, 0)


def test_a_dry_run_does_not_tell_an_uncleared_editor_what_a_secret_paragraph_says(
    client, on_commit_runs_at_once, secret_paragraph_alone
):
    # Given a rule editor cleared UNCLASSIFIED holding no grant at all
    client.force_login(staff("rule editor", Level.U, "edith"))
    # When they dry-run two rules differing by one word (the day of a SECRET meeting)
    tuesday = add_rule(client, r"port on Tuesday", "probe tuesday")
    monday = add_rule(client, r"port on Monday", "probe monday")
    # Then both dry runs answer alike: nothing tells which day the paragraph names
    assert paragraphs_hit(client, tuesday) == paragraphs_hit(client, monday)


# -- 4. The admin's upload tells whether a guessed text is the stored cable's -----------
#
# ``cables.ingest`` reports a file whose reference id is stored as "unchanged" when its
# text hashes to the stored cable's and as a "conflict" otherwise, and the admin's upload
# page (``cables.admin.CableUploadMixin``) prints both counts to whoever may change
# cables, cleared or not.  The answer is an equality test against the raw text, which
# holds every paragraph: an admin who can rebuild the rest of a cable tries a word at a
# time in the part above their clearance.

SECRET_BODY = (
    "1. (C) Summary: the minister said the talks would resume.",
    f"2. (S) {SECRET_TEXT}",
)


def secret_telegram(day: str) -> str:
    from tests.cables.cable_text import telegram

    body = (SECRET_BODY[0], SECRET_BODY[1].replace("Tuesday", day))
    return telegram(serial=77, banner="S E C R E T", paragraphs=body)


@pytest.fixture
def imported_secret_cable() -> Cable:
    from cables.ingest import CableSource, cables_import

    report = cables_import([CableSource(name="s.txt", text=secret_telegram("Tuesday"))], workers=1)
    assert not report.failed and len(report.imported_ids) == 1
    return Cable.objects.get(pk=report.imported_ids[0])


def upload_messages(client: Any, text: str) -> list[str]:
    """Upload one file as the admin does; every message the next page shows."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("guess.txt", text.encode(), "text/plain")
    response = client.post(reverse("admin:cables_cable_upload"), {"files": [upload]}, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def upload_answer(client: Any, text: str) -> str:
    """The upload's summary message ("Imported N, unchanged N, ...")."""
    summary = " ".join(upload_messages(client, text))
    found = re.search(r"Imported \d+, unchanged \d+, conflicts \d+, failed \d+\.", summary)
    assert found is not None
    return found.group(0)


def test_an_upload_tells_a_cleared_admin_whether_the_file_is_the_stored_cable(
    client, imported_secret_cable
):
    # Given an admin cleared SECRET (they read the raw text anyway)
    user = staff("admin", Level.S, "sam")
    permissions.grant(permissions.VIEW, user, imported_secret_cable)
    client.force_login(user)
    # When they upload the stored text, then the same cable with another word
    # Then the first is unchanged and the second a conflict
    assert upload_answer(client, secret_telegram("Tuesday")) == (
        "Imported 0, unchanged 1, conflicts 0, failed 0."
    )
    assert upload_answer(client, secret_telegram("Monday")) == (
        "Imported 0, unchanged 0, conflicts 1, failed 0."
    )


def test_an_upload_does_not_tell_a_c_cleared_admin_which_guess_is_the_secret_text(
    client, imported_secret_cable
):
    # Given an admin cleared CONFIDENTIAL, with a view grant on the SECRET cable
    user = staff("admin", Level.C, "cleo")
    permissions.grant(permissions.VIEW, user, imported_secret_cable)
    client.force_login(user)
    # When they upload the cable twice, guessing the day its SECRET paragraph names
    tuesday = upload_messages(client, secret_telegram("Tuesday"))
    monday = upload_messages(client, secret_telegram("Monday"))
    # Then the answers are alike: nothing tells which guess is the stored text
    assert tuesday == monday


# -- 5. The rule form suggests every cable's TAGS and post --------------------------------
#
# ``redaction.admin_forms.tag_suggestions`` and ``post_suggestions`` fill the scope's
# datalists with the distinct TAGS and posts of every stored cable (cached for all users
# alike), not of the cables the editor may view: a header field of a cable they hold no
# grant on reaches their browser.


@pytest.fixture
def tagged_cable() -> Cable:
    from cables.models import CableTag

    cable = CableFactory(
        reference_id="06HIDDENPOST3",
        origin="Consulate Blueheron Cove",
        level=int(Level.S),
        tags=["PREL", "NIGHTJAR"],
    )
    CableTag.objects.bulk_create(
        [CableTag(cable=cable, tag="PREL"), CableTag(cable=cable, tag="NIGHTJAR")]
    )
    return cable


def rule_form(client: Any) -> str:
    response = client.get(reverse("admin:redaction_redactionrule_add"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_rule_form_suggests_the_tags_and_post_of_a_cable_the_editor_may_view(
    client, tagged_cable
):
    # Given a rule editor holding a view grant on the cable
    user = staff("rule editor", Level.S, "edna")
    permissions.grant(permissions.VIEW, user, tagged_cable)
    client.force_login(user)
    # When they open a new rule's form
    body = rule_form(client)
    # Then its scope suggests the cable's TAGS and post
    assert '<option value="NIGHTJAR">' in body
    assert '<option value="Consulate Blueheron Cove">' in body


def test_the_rule_form_suggests_nothing_of_a_cable_the_editor_holds_no_grant_on(
    client, tagged_cable
):
    # Given a rule editor holding no grant on the cable
    client.force_login(staff("rule editor", Level.S, "edith"))
    # When they open a new rule's form
    body = rule_form(client)
    # Then neither the cable's TAGS nor its post reach their browser
    assert "NIGHTJAR" not in body
    assert "Blueheron Cove" not in body


# -- 6. The approval form carries an unkeyed hash of a subject above the clearance ------
#
# ``releases.services.approval_shown`` writes each header field of the cable into the
# approval form's hidden ``header_shown`` as the first 16 hex digits of its plain SHA-256
# (``_short``), the subject included, whatever the authority's clearance.  Anyone holding
# the page tests guesses offline: the hash of the right subject is in it.


def short_hash(value: str) -> str:
    """The page's hash of a header field, computed as ``releases.services._short`` does."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def test_the_approval_form_fingerprints_the_subject_with_the_servers_key(client, reviewed_cable):
    from releases.services import _short

    # Given a release authority cleared SECRET, who reads the subject anyway
    body = approval_page(client, cleared("amos", Level.S), reviewed_cable)
    # Then the form's header fingerprint is keyed (the plain hash is not there)
    assert f"subject:{_short(SECRET_SUBJECT)}" in body
    assert short_hash(SECRET_SUBJECT) not in body


def test_the_approval_form_carries_nothing_computed_from_a_subject_above_the_clearance(
    client, reviewed_cable
):
    # Given a release authority cleared CONFIDENTIAL (the subject is SECRET)
    body = approval_page(client, cleared("cora", Level.C), reviewed_cable)
    # Then no hash of the subject is in it to test a guess against
    assert short_hash(SECRET_SUBJECT) not in body
    assert "BLUEHERON" not in body


# 4 (continued). The same answer over the API: 201 for the stored text, 409 for another.


def api_import_status(user: Any, text: str) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.helpers import token_client

    upload = SimpleUploadedFile("guess.txt", text.encode(), "text/plain")
    response = token_client(user).post("/api/imports/", {"files": [upload]}, format="multipart")
    return response.status_code


def test_an_api_import_tells_a_cleared_importer_whether_the_file_is_the_stored_cable(
    imported_secret_cable,
):
    # Given an admin cleared SECRET with a view grant on the cable, importing with a token
    user = staff("admin", Level.S, "sam")
    permissions.grant(permissions.VIEW, user, imported_secret_cable)
    # When they import the stored text, then the cable with another word
    # Then the first is accepted as unchanged (201), the second refused as a conflict
    assert api_import_status(user, secret_telegram("Tuesday")) == 201
    assert api_import_status(user, secret_telegram("Monday")) == 409


def test_an_api_import_does_not_tell_a_c_cleared_importer_which_guess_is_the_secret_text(
    imported_secret_cable,
):
    # Given an admin cleared CONFIDENTIAL, with a view grant on the SECRET cable
    user = staff("admin", Level.C, "cleo")
    permissions.grant(permissions.VIEW, user, imported_secret_cable)
    # When they import the cable twice, guessing the day its SECRET paragraph names
    # Then both answers are alike
    assert api_import_status(user, secret_telegram("Tuesday")) == api_import_status(
        user, secret_telegram("Monday")
    )
