"""Cables read as reviewers read them: headings as headings, unnumbered paragraphs as
portions of their own, each persona offered only their own moves, and every flag and
warning explaining itself.  Through the pages, as each persona."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from cables.ingest import CableSource, cables_import
from cables.markings import Level
from cables.models import Cable
from tests.cables.cable_text import reference_id, telegram
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import flag_help, permissions
from workflow.models import Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
HEADED = (
    "1. (C) The minister set out his priorities.",
    "2. (C) He said the cabinet was divided.\n\nSyria/Lebanon\n-------------",
    'The Embassy issued this statement:\n\n"We welcome the talks."',
    '"We hope for progress."',
)


def user_with(level: Level, codename: str, cable: Cable, name: str):
    user = UserFactory(username=name)
    Clearance.objects.create(user=user, level=int(level))
    permissions.grant(codename, user, cable)
    return user


@pytest.fixture
def headed():
    cables_import([CableSource(name="h.txt", text=telegram(paragraphs=HEADED))], workers=1)
    return Cable.objects.get(reference_id=reference_id())


def test_a_heading_is_shown_as_a_heading_and_unnumbered_paragraphs_are_decided_alone(
    client, headed
):
    rita = user_with(Level.TS, permissions.REVIEW, headed, "rita")
    client.force_login(rita)
    rows = list(headed.paragraphs.order_by("ordinal"))
    heading = next(p for p in rows if p.heading)
    unnumbered = [p for p in rows if not p.number and not p.heading]
    assert heading.text == "Syria/Lebanon" and len(unnumbered) >= 2

    body = client.get(reverse("workflow:review", args=[headed.pk])).content.decode()

    article = re.search(rf'<article[^>]*id="para-{heading.pk}".*?</article>', body, re.S).group(0)
    assert "heading-portion" in article
    assert '<h4 class="text cable-heading" data-text>Syria/Lebanon</h4>' in article
    p2 = next(p for p in rows if p.number == "2")
    assert "Syria" not in p2.text  # not glued to the paragraph before it
    for p in unnumbered:
        assert f'id="para-{p.pk}"' in body
    assert body.count("Unnumbered paragraph</span>") == len(unnumbered)

    # the first unnumbered paragraph is decided on its own
    client.post(
        reverse("workflow:decide", args=[unnumbered[0].pk]),
        {"kind": "withhold", "label": "(b)(5)", "based_on": ""},
    )
    assert list(Decision.objects.values_list("paragraph_id", "kind")) == [
        (unnumbered[0].pk, "withhold")
    ]

    page = client.get(reverse("cables:detail", args=[headed.pk])).content.decode()
    assert '<h3 class="cable-heading">Syria/Lebanon</h3>' in page


def test_each_persona_is_offered_only_their_own_moves(client):
    cable = CableFactory(level=int(Level.C), review_state=ReviewState.IN_REVIEW)
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="The talks went well.")
    rita = user_with(Level.C, permissions.REVIEW, cable, "rita")
    amos = user_with(Level.C, permissions.RELEASE, cable, "amos")
    review_url = reverse("workflow:review", args=[cable.pk])

    client.force_login(amos)
    queue_authority = client.get(reverse("workflow:queue")).content.decode()
    client.force_login(rita)
    as_reviewer = client.get(review_url).content.decode()
    queue_reviewer = client.get(reverse("workflow:queue")).content.decode()

    assert "Mark review finished" in as_reviewer
    assert "Return for rework" not in as_reviewer  # rita holds no release
    assert "Mark review finished" not in queue_authority  # amos reviews nothing
    assert "Approve for release" in queue_authority
    assert "Mark review finished" in queue_reviewer
    assert "Approve for release" not in queue_reviewer
    # each is linked to the page they use: amos to the cable page, not a 404
    assert f'href="{review_url}"' in queue_reviewer
    assert f'href="{review_url}"' not in queue_authority
    assert f'href="{reverse("cables:detail", args=[cable.pk])}"' in queue_authority

    # a reviewer who also holds release is offered the authority's moves once reviewed
    permissions.grant(permissions.RELEASE, rita, cable)
    Decision.objects.create(cable=cable, paragraph=cable.paragraphs.get(), kind="release",
                            decided_by=rita, decided_at=cable.imported_at)  # fmt: skip
    client.post(reverse("workflow:transition", args=[cable.pk]), {"target": "reviewed"})
    reviewed = client.get(review_url).content.decode()
    assert reverse("releases:approval", args=[cable.pk]) in reviewed
    assert "Return for rework" in reviewed
    assert "Mark review finished" not in reviewed


def test_every_flag_and_warning_explains_itself_on_the_cable_queue_and_review_pages(client):
    cable = CableFactory(
        level=int(Level.C), review_state=ReviewState.DUE,
        declass_flags=["F_FGI"], declass_warnings=["W_MULTIPLE_DATES"],
        parse_warnings=["UNMARKED_PORTION: 1 paragraph(s) without a portion mark (#3)"],
    )  # fmt: skip
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Text.")
    rita = user_with(Level.C, permissions.REVIEW, cable, "rita")
    client.force_login(rita)
    fgi = "Foreign government information: classified for reason 1.4(b)"
    help_url = reverse("workflow:help_flags")

    pages = {
        "cable": client.get(reverse("cables:detail", args=[cable.pk])).content.decode(),
        "queue": client.get(reverse("workflow:queue")).content.decode(),
        "review": client.get(reverse("workflow:review", args=[cable.pk])).content.decode(),
    }

    for name, body in pages.items():
        text = html.unescape(body)
        assert f'href="{help_url}#f-fgi" title="{fgi}' in text, name
    for name in ("cable", "review"):
        text = html.unescape(pages[name])
        assert f'href="{help_url}#w-multiple-dates" title="Several dates:' in text, name
    cable_page = html.unescape(pages["cable"])
    assert f'href="{help_url}#unmarked-portion" title="Unmarked portion:' in cable_page
    assert "1 paragraph(s) without a portion mark (#3)" in cable_page  # the particulars stay

    help_page = html.unescape(client.get(help_url).content.decode())
    for _, notes in flag_help.SECTIONS:
        for code, note in notes.items():
            assert f'<dt id="{note.anchor}"><code>{code}</code> {note.title}</dt>' in help_page


def _codes(pattern: str, *folders: str) -> set[str]:
    found: set[str] = set()
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_the_help_page_knows_every_code_the_engine_and_parser_can_give():
    engine = _codes(r'"((?:F|W)_[A-Z0-9_]+)"', "cables/declassification")
    # a code has an underscore: "SUMMARY:" quoted in a docstring is not one
    parser = _codes(r'f?"([A-Z]+(?:_[A-Z]+)+):', "cables/parsing")

    assert engine, "no engine codes found: the pattern is stale"
    assert engine <= set(flag_help.FLAGS) | set(flag_help.WARNINGS)
    assert parser <= set(flag_help.PARSER), parser - set(flag_help.PARSER)


def test_queue_date_cells_are_marked_not_to_wrap(client):
    cable = CableFactory(review_state=ReviewState.DUE, declass_date="2016-02-10")
    user_with(Level.C, permissions.REVIEW, cable, "rita")
    client.force_login(UserFactory._meta.model.objects.get(username="rita"))

    body = client.get(reverse("workflow:queue")).content.decode()

    assert '<td class="date">2016-02-10</td>' in body
    css = (REPO / "static/css/declass.css").read_text(encoding="utf-8")
    assert re.search(r"td\.date\s*\{\s*white-space:\s*nowrap", css.replace("th.date, ", ""))
