"""Review of the day's changes: defects they introduced or left, each met by the person
who would meet or exploit it, at the admin as themselves (the web client).

Each test failed while its defect stood (a strict xfail then); now each guards its fix.

- A cable's admin page opens, view only, to whoever may view that one cable (a rule
  editor following a proposed redaction to its cable).  It shows the sha256 of the
  cable's raw text to a reader not cleared for every paragraph: an equality test on the
  whole text, which the import withholds from such a reader (``cables.import_answer``),
  since it confirms or refutes a guess at a hidden paragraph offline: shown only with
  the raw text now.
- The same page's History link opened a page whose breadcrumbs linked the cable list and
  the app's index, which refuse that reader: the history page now links them only where
  they open, as the change page does.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from redaction.models import ProposedRedaction
from tests.factories import CableFactory, ParagraphFactory, person
from workflow import permissions

pytestmark = pytest.mark.django_db

READABLE = "The harvest was late this year in the north."
ABOVE = "The source NIGHTJAR reports the minister will resign."
HEADER = "SECRET SECTION 01 OF 01 EXAMPLETOWN 000412\n\nSUBJECT: HARVEST\n\n"


def raw_text(hidden: str) -> str:
    """A cable's raw text: its header, a CONFIDENTIAL and a SECRET paragraph."""
    return f"{HEADER}1. (C) {READABLE}\n\n2. (S) {hidden}\n"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def kestrel():
    """07KESTREL412: a SECRET cable with a CONFIDENTIAL paragraph and a SECRET one, and a
    rule's proposal on the CONFIDENTIAL paragraph; eddie, a rule editor cleared for
    CONFIDENTIAL, holds view on it (he may read the first paragraph, not the second, and
    not the raw text)."""
    text = raw_text(ABOVE)
    cable = CableFactory(
        reference_id="07KESTREL412", level=int(Level.S), raw_text=text, sha256=sha256(text)
    )
    readable = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=ABOVE)
    proposal = ProposedRedaction.objects.create(
        cable=cable,
        paragraph=readable,
        start=4,
        end=11,
        action="redact",
        labels=["(b)(1) 1.4(c)"],
        rules=[],
        created_at=timezone.now(),
    )
    eddie = person("eddie", Level.C, "rule editor")
    eddie.is_staff = True
    eddie.save(update_fields=["is_staff"])
    permissions.grant(permissions.VIEW, eddie, cable)
    return {"cable": cable, "proposal": proposal, "eddie": eddie}


def cable_page_from_the_proposal(client, kestrel) -> str:  # type: ignore[no-untyped-def]
    """The rule editor opens the proposal and follows its cable link, as the admin offers it."""
    client.force_login(kestrel["eddie"])
    proposal_page = reverse(
        "admin:redaction_proposedredaction_change", args=[kestrel["proposal"].pk]
    )
    body = client.get(proposal_page).content.decode()
    cable_page = reverse("admin:cables_cable_change", args=[kestrel["cable"].pk])
    assert f'href="{cable_page}"' in body
    response = client.get(cable_page)
    assert response.status_code == 200
    return response.content.decode()


def test_the_rule_editor_cannot_test_guesses_at_a_hidden_paragraph_on_the_cable_page(
    client, kestrel
):
    body = cable_page_from_the_proposal(client, kestrel)
    assert ABOVE not in body and "NIGHTJAR" not in body  # the paragraph itself is hidden

    # Two guesses at the SECRET paragraph, hashed at his own desk: the page must not
    # tell him which one is the cable's.
    guesses = {
        sha256(raw_text(ABOVE)): "NIGHTJAR",
        sha256(raw_text("The source KINGFISHER reports the minister will resign.")): "KF",
    }
    confirmed = [word for digest, word in guesses.items() if digest in body]
    assert confirmed == []


def test_every_link_of_the_cable_history_opens_for_the_rule_editor(client, kestrel):
    body = cable_page_from_the_proposal(client, kestrel)
    history = reverse("admin:cables_cable_history", args=[kestrel["cable"].pk])
    assert f'href="{history}"' in body  # the page's own History link

    response = client.get(history)
    assert response.status_code == 200
    links = sorted(set(re.findall(r'href="(/admin/[^"#?]*)"', response.content.decode())))
    refused = [url for url in links if client.get(url).status_code != 200]
    assert refused == []
