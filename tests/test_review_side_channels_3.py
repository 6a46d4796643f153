"""A third review of the read side: paths by which cable text, or what is derived from it,
reaches a person who may not read it.

The promise (``workflow.access``): nobody reads a paragraph or a subject above their
clearance, nor a cable they hold no grant on; a note written on a cable is read as the
cable's raw text is (``access.notes_readable``); and a cable's header lines that repeat a
hidden subject's words go with the subject, as its TAGS do.  Each test is written as the
person who meets the defect, granted the way an admin grants (``manage.py grant``), beside
a companion with the same setup for someone entitled to the answer, so that a guard fails
for the reason it names.

Each was found open and proven by its test first: 1. a return's note on the review page,
to a reviewer below the cable's level (now ``access.raw_text_readable_when_authorised``);
1b. the signer's name in the approval page's preview, likewise (an authority vouches for
the cable's level too now: ``access.above_clearance``); 2. the REF line repeating a hidden
subject's codename (``access.references_for``); 3. parse warnings quoting the portion mark
of a paragraph above the reader (``access.parse_warnings_for``); 4. a rule's activation job
telling an editor with no grant whether any cable carries a TAG (a job always has a chunk).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cables.ingest import CableSource, cables_import
from cables.markings import Level
from cables.models import Cable, CableTag
from tests.factories import CableFactory, ParagraphFactory, person
from tests.test_review_side_channels import grant, return_with_note
from workflow.models import ReviewState

pytestmark = pytest.mark.django_db

READABLE = "The harvest was late this year in the northern provinces."
CODENAME = "NIGHTJAR"
SUBJECT_CODENAME = "BLUEHERON"


def api(user: Any) -> Any:
    from tests.api.helpers import token_client

    return token_client(user)


# -- 1. The note of a return, on the review page, below the cable's level -----------------
#
# A note written on a move may quote any portion of the cable, header and signature
# included: ``access.notes_readable`` gives it only to a reader cleared for the cable's
# level, its subject and every paragraph (the raw text's rule), and the audit trail, its
# export and the API follow it.  The review page does not ask it: ``review.latest_return``
# decides by its own test (no paragraph hidden, and the subject readable) and forgets the
# cable's level, so a reviewer cleared CONFIDENTIAL of a SECRET cable whose portions are
# all CONFIDENTIAL reads the note the API withholds from her, and with it whatever of the
# SECRET cable it quotes (the signer's name, which the API also withholds from her).

SIGNER = "RICEWOOD"


def signed_below_its_level(state: str) -> Cable:
    """07HARBOR12: SECRET, its subject and only paragraph CONFIDENTIAL, signed RICEWOOD."""
    cable = CableFactory(
        reference_id="07HARBOR12",
        level=int(Level.S),
        subject="(C) TALKS WITH THE PALACE",
        subject_level=int(Level.C),
        signature=SIGNER,
        review_state=state,
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    return cable


@pytest.fixture
def returned_below_the_cable(client: Any) -> dict[str, Any]:
    """07HARBOR12: SECRET, its subject and only paragraph CONFIDENTIAL, signed RICEWOOD,
    reviewed; lena (CONFIDENTIAL) reviews it; amos, its release authority, returns it with
    a note naming the signer."""
    cable = signed_below_its_level(ReviewState.REVIEWED)
    lena = person("lena", Level.C, "reviewer")
    grant("review", lena, cable)
    amos = person("amos", Level.S, "release authority")
    grant("release", amos, cable)
    note = f"The signature {SIGNER} names a serving officer: withhold it under (b)(6)."
    return_with_note(client, amos, cable, note)
    return {"cable": cable, "lena": lena}


def test_a_reviewer_below_the_cables_level_does_not_read_the_note_of_a_return(
    client, returned_below_the_cable
):
    cable, lena = returned_below_the_cable["cable"], returned_below_the_cable["lena"]
    from workflow import access

    assert cable.pk not in access.notes_readable(lena, [cable.pk])  # the rule says: withheld
    detail = api(lena).get(f"/api/cables/{cable.pk}/").json()
    assert detail["signature"] is None  # and the signer's name is withheld from her too
    client.force_login(lena)

    page = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert READABLE in page and "for rework by amos" in page  # her page, and who returned it
    assert SIGNER not in page


def test_a_reviewer_cleared_for_the_whole_cable_reads_the_note_of_a_return(
    client, returned_below_the_cable
):
    cable = returned_below_the_cable["cable"]
    sid = person("sid", Level.S, "reviewer")
    grant("review", sid, cable)
    client.force_login(sid)

    page = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert SIGNER in page


# -- 1b. The signer's name in the approval page's preview, below the cable's level --------
#
# The signature is read from the end of the raw text and goes by the raw text's rule
# (``access.raw_text_readable_when_authorised``): the API and the admin withhold it from a
# reader below the cable's level (first side-channel review, 6).  The approval page's
# preview of the release (``releases.preview.release_preview``) asks only whether a
# paragraph or the subject is above the authority (``access.above_clearance``) and then
# prints the whole header, signature line included: an authority cleared CONFIDENTIAL, with
# release on a SECRET cable whose portions are CONFIDENTIAL, reads the signer's name there
# that the API sends her as null.  Now ``access.above_clearance`` counts the cable's own
# level too: she sees no preview and may not approve (a release prints the header's
# unmarked lines, which are at the cable's level), as with a paragraph above her.


@pytest.fixture
def reviewed_below_the_cable() -> dict[str, Any]:
    """07HARBOR12 as in 1, its paragraph released by rita and its review finished; cleo
    (CONFIDENTIAL) holds release on it."""
    from tests.releases.conftest import decide

    cable = signed_below_its_level(ReviewState.IN_REVIEW)
    decide(cable, person("rita", Level.S, "reviewer"), {}, subject=("release", ""))
    cleo = person("cleo", Level.C, "release authority")
    grant("release", cleo, cable)
    return {"cable": cable, "cleo": cleo}


def test_an_authority_below_the_cables_level_does_not_read_the_signer_in_the_preview(
    client, reviewed_below_the_cable
):
    cable, cleo = reviewed_below_the_cable["cable"], reviewed_below_the_cable["cleo"]
    assert api(cleo).get(f"/api/cables/{cable.pk}/").json()["signature"] is None
    client.force_login(cleo)

    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()

    # She vouches for what she cannot read no more than she reads it: no preview, and the
    # page says why (the approval itself asks the same ``access.above_clearance``).
    assert 'class="release-document"' not in page
    assert "the cable&#x27;s level" in page or "the cable's level" in page
    assert SIGNER not in page


def test_an_authority_cleared_for_the_whole_cable_reads_the_signer_in_the_preview(
    client, reviewed_below_the_cable
):
    cable = reviewed_below_the_cable["cable"]
    sam = person("sara", Level.S, "release authority")
    grant("release", sam, cable)
    client.force_login(sam)

    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()

    assert SIGNER in page


# -- 2 and 3. A cable's header, as the parser reads it, repeats what is hidden ---------------
#
# Imported through the real parser: a SECRET cable whose subject (S) names an operation,
# whose REF line names the same operation (as REF lines do: the referenced cable's subject
# in brackets), and whose SECRET paragraph 2 carries a control the parser does not know,
# "(S//NIGHTJAR)".  lena, cleared CONFIDENTIAL, may view it: she reads paragraph 1 and is
# told that the subject and one paragraph are above her clearance.
#
# 2. The REF line is shown to whoever may view the cable (the cable page, the API's
#    ``references``, the admin's cable page), though it repeats the hidden subject's
#    codename: the TAGS were made to go with the subject for exactly this reason (first
#    side-channel review, 4), and a release boxes the subject's words in REF as it does in
#    TAGS (``releases.document.subject_fragments``), but the reading pages do not.
# 3. The parser's warnings are shown whole (cable page, API's ``parse_warnings``, admin),
#    though some are read from a paragraph above the reader's clearance: "UNKNOWN_CONTROL:
#    paragraph 2: control(s) NIGHTJAR in (S//NIGHTJAR)" quotes the portion mark of a
#    SECRET paragraph the page says is withheld from her.

HARBOR = f"""VZCZCXYZ0012
RR RUEHWEB

DE RUEHHB #0012 0411530
ZNY SSSSS ZZH
R 101530Z FEB 07
FM AMEMBASSY HARBOR
TO RUEHC/SECSTATE WASHDC 1904

S E C R E T HARBOR 000012

E.O. 12958: DECL: 02/10/2017
TAGS: PREL PGOV
SUBJECT: (S) OPERATION {SUBJECT_CODENAME}: TALKS WITH THE PALACE

REF: A. HARBOR 11 (OPERATION {SUBJECT_CODENAME})

Classified By: Ambassador J. Doe, reasons 1.4(b) and (d).

1. (C) {READABLE}

2. (S//{CODENAME}) The source met the minister at the port on Tuesday.

DOE
"""


@pytest.fixture
def harbor_imported() -> Cable:
    report = cables_import([CableSource(name="07HARBOR12.txt", text=HARBOR)], workers=1)
    assert not report.failed, report.failed
    cable = Cable.objects.get(pk__in=report.imported_ids)
    assert cable.reference_id == "07HARBOR12" and cable.level == int(Level.S)
    assert cable.subject_level == int(Level.S) and SUBJECT_CODENAME in cable.subject
    assert any(SUBJECT_CODENAME in ref for ref in cable.references)
    assert any(CODENAME in w for w in cable.parse_warnings)  # what the parser wrote
    assert [p.level for p in cable.paragraphs.order_by("ordinal")] == [Level.C, Level.S]
    return cable


def header_as_read(client: Any, user: Any, cable: Cable) -> dict[str, str]:
    """The cable page, the API's cable and the admin's cable page, as ``user`` (staff,
    so that the admin opens the one cable they may view) reads them."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    page = client.get(reverse("cables:detail", args=[cable.pk]))
    detail = api(user).get(f"/api/cables/{cable.pk}/")
    admin_page = client.get(reverse("admin:cables_cable_change", args=[cable.pk]))
    assert page.status_code == detail.status_code == admin_page.status_code == 200
    return {
        "page": page.content.decode(),
        "api": str(detail.json()),
        "admin": admin_page.content.decode(),
    }


@pytest.fixture
def lena_views_harbor(harbor_imported: Cable) -> dict[str, Any]:
    lena = person("lena", Level.C, "reviewer")
    grant("view", lena, harbor_imported)
    return {"cable": harbor_imported, "lena": lena}


def _lena_reads(client: Any, lena_views_harbor: dict[str, Any]) -> dict[str, str]:
    seen = header_as_read(client, lena_views_harbor["lena"], lena_views_harbor["cable"])
    assert READABLE in seen["page"]  # her page opens, with the paragraph she may read
    assert "Subject above your clearance" in seen["page"]
    assert "1 paragraph above your clearance" in seen["page"]
    assert "(above your clearance)" in seen["admin"]  # the admin withholds the subject
    return seen


def test_a_reader_below_the_subject_does_not_read_its_codename_in_the_references(
    client, lena_views_harbor
):
    seen = _lena_reads(client, lena_views_harbor)

    assert [where for where, body in seen.items() if SUBJECT_CODENAME in body] == []


def test_a_reader_below_a_paragraph_does_not_read_its_marking_in_the_parse_warnings(
    client, lena_views_harbor
):
    seen = _lena_reads(client, lena_views_harbor)

    assert [where for where, body in seen.items() if CODENAME in body] == []


def test_a_reader_below_the_cable_reads_the_warnings_codes_and_paragraphs_and_refs_withheld(
    client, lena_views_harbor
):
    seen = header_as_read(client, lena_views_harbor["lena"], lena_views_harbor["cable"])
    detail = api(lena_views_harbor["lena"]).get(f"/api/cables/{lena_views_harbor['cable'].pk}/")

    assert detail.json()["references"] is None  # withheld with the subject, as the tags
    assert "UNKNOWN_CONTROL: paragraph 2" in detail.json()["parse_warnings"]
    assert not [w for w in detail.json()["parse_warnings"] if w.count(":") > 1]
    assert "Above your clearance, with the subject" in seen["page"].split("References")[1]
    assert "UNKNOWN_CONTROL" in seen["page"] and "UNKNOWN_CONTROL" in seen["admin"]


def test_a_reader_cleared_for_the_whole_cable_reads_its_references_and_warnings(
    client, harbor_imported
):
    sid = person("sid", Level.S, "reviewer")
    grant("view", sid, harbor_imported)

    seen = header_as_read(client, sid, harbor_imported)

    for where, body in seen.items():
        assert SUBJECT_CODENAME in body and CODENAME in body, where


# -- 4. A rule's re-application job says whether any cable carries a TAG -------------------
#
# A rule scoped by TAGS reaches, in its dry run, only the cables whose TAGS the editor
# reads (first side-channel review, 4), and its job shows a percentage, not a count, because
# "a count would tell them how many cables carry a TAG or come from a post they were never
# granted" (``rule_services.job_percent``).  But activating the rule makes a job whose
# chunks are the cables its scope reaches, all of them (``rule_reapply``, ``Scope.cables``),
# and a job with no chunk is 100% at once, while one with a chunk stays below 100% until a
# worker has done it: the answer to the activation (``POST /api/rules/<id>/activate/``,
# and the rule's admin page under "Re-application jobs") tells an editor with no grant at
# all whether some cable carries the TAG, a codename of a hidden subject included.


@pytest.fixture
def tagged_with_codename() -> Cable:
    """07HARBOR12, SECRET, subject (S) OPERATION BLUEHERON, TAGS "PREL BLUEHERON"."""
    cable = CableFactory(
        reference_id="07HARBOR12",
        level=int(Level.S),
        subject=f"(S) OPERATION {SUBJECT_CODENAME}: TALKS WITH THE PALACE",
        subject_level=int(Level.S),
        tags=["PREL", SUBJECT_CODENAME],
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    CableTag.objects.bulk_create(CableTag(cable=cable, tag=t) for t in cable.tags)
    return cable


def activation_progress(editor: Any, tag: str) -> int:
    """The progress the API answers when ``editor`` activates a rule scoped to ``tag`` (the
    worker has not taken the job's chunks yet: the test runs no commit hooks)."""
    from redaction.models import RedactionRule
    from redaction.rule_services import rule_save

    rule = RedactionRule(
        name=f"harvest in {tag}", kind="terms", terms="harvest", label="(b)(6)",
        scope_tags=[tag],
    )  # fmt: skip
    rule_save(rule=rule, user=editor)
    answer = api(editor).post(f"/api/rules/{rule.pk}/activate/")
    assert answer.status_code == 200, answer.content
    return answer.json()["progress"]


def test_activating_a_rule_does_not_tell_an_editor_whether_a_hidden_cable_carries_a_tag(
    tagged_with_codename,
):
    eddie = person("eddie", Level.C, "rule editor")  # no grant on any cable

    assert activation_progress(eddie, SUBJECT_CODENAME) == activation_progress(eddie, "KINGFISHER")
