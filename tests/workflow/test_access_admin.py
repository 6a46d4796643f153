"""Issue "Nothing above your clearance" (2): the admin's cable and proposed-redaction
pages show only what the user may read: cables they hold a grant on, paragraphs
up to their clearance, the raw text only when cleared for every paragraph.

Each test is a member of the admin (or rule editor) group, logged in to the admin.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from redaction.models import ProposedRedaction
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

CONFIDENTIAL_TEXT = "The harvest was late this year in the north."
SECRET_TEXT = "The source NIGHTJAR reports the minister will resign."
RAW = "S E C R E T ... raw telegram naming NIGHTJAR in full"


@pytest.fixture
def secret_cable():
    cable = CableFactory(reference_id="06SECRETPOST7", level=int(Level.S), raw_text=RAW)
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=CONFIDENTIAL_TEXT)
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=SECRET_TEXT)
    return cable


def staff(group: str, level: Level, username: str = "ada"):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    Clearance.objects.create(user=user, level=int(level))
    return user


def change_page(client, cable):
    return client.get(reverse("admin:cables_cable_change", args=[cable.pk]), follow=True)


def test_an_admin_without_a_grant_neither_lists_nor_opens_the_cable(client, secret_cable):
    mine = CableFactory(reference_id="06OPENPOST1")
    user = staff("admin", Level.C)
    permissions.grant(permissions.VIEW, user, mine)
    client.force_login(user)

    listing = client.get(reverse("admin:cables_cable_changelist")).content.decode()
    opened = change_page(client, secret_cable)

    assert "06OPENPOST1" in listing and "06SECRETPOST7" not in listing
    body = opened.content.decode()
    assert opened.redirect_chain and "doesn’t exist" in body
    assert CONFIDENTIAL_TEXT not in body and SECRET_TEXT not in body and RAW not in body


def test_a_c_cleared_admin_reads_only_the_paragraphs_up_to_c_and_no_raw_text(client, secret_cable):
    user = staff("admin", Level.C)
    permissions.grant(permissions.VIEW, user, secret_cable)
    client.force_login(user)

    response = change_page(client, secret_cable)

    body = response.content.decode()
    assert response.status_code == 200 and not response.redirect_chain
    assert CONFIDENTIAL_TEXT in body
    assert SECRET_TEXT not in body and "NIGHTJAR" not in body
    assert "1 paragraph above your clearance, and the raw text" in body


def test_a_cleared_admin_holding_a_grant_through_a_group_reads_everything(client, secret_cable):
    user = staff("admin", Level.TS)
    desk = Group.objects.create(name="desk")
    user.groups.add(desk)
    permissions.grant(permissions.VIEW, desk, secret_cable)
    client.force_login(user)

    body = change_page(client, secret_cable).content.decode()

    assert CONFIDENTIAL_TEXT in body and SECRET_TEXT in body and RAW in body


def test_the_list_counts_every_paragraph_but_the_page_hides_those_above_clearance(
    client, secret_cable
):
    user = staff("admin", Level.C)
    permissions.grant(permissions.REVIEW, user, secret_cable)  # review implies view
    client.force_login(user)

    listing = client.get(reverse("admin:cables_cable_changelist"))

    assert [c.pk for c in listing.context["cl"].result_list] == [secret_cable.pk]


def test_an_inactive_staff_member_sees_nothing(client, secret_cable):
    user = staff("admin", Level.TS)
    permissions.grant(permissions.VIEW, user, secret_cable)
    client.force_login(user)
    user.is_active = False
    user.save()

    body = client.get(reverse("admin:cables_cable_changelist"), follow=True).content.decode()

    assert "06SECRETPOST7" not in body


def proposal(paragraph):
    return ProposedRedaction.objects.create(
        cable=paragraph.cable,
        paragraph=paragraph,
        start=0,
        end=10,
        action="redact",
        labels=["(b)(1) 1.4(c)"],
        rules=[],
        created_at=timezone.now(),
    )


def test_the_proposal_list_takes_the_same_queries_for_one_row_as_for_twelve(client):
    """Each row names its cable and its paragraph: both read with the page, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = staff("rule editor", Level.TS)
    client.force_login(user)
    url = reverse("admin:redaction_proposedredaction_changelist")

    def queries_for(rows: int) -> int:
        for ordinal in range(1, rows + 1):
            cable = CableFactory()
            permissions.grant(permissions.VIEW, user, cable)
            proposal(ParagraphFactory(cable=cable, ordinal=ordinal, level=int(Level.U)))
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert len(page.context["cl"].result_list) == ProposedRedaction.objects.count()
        return len(captured)

    assert queries_for(1) == queries_for(11)


def test_proposed_redactions_are_listed_only_on_paragraphs_the_user_may_read(client, secret_cable):
    low, high = secret_cable.paragraphs.order_by("ordinal")
    seen, above = proposal(low), proposal(high)
    elsewhere = CableFactory(reference_id="06OTHERPOST3")
    ungranted = proposal(ParagraphFactory(cable=elsewhere, ordinal=1, level=int(Level.U)))
    user = staff("rule editor", Level.C)
    permissions.grant(permissions.VIEW, user, secret_cable)
    client.force_login(user)

    listing = client.get(reverse("admin:redaction_proposedredaction_changelist"))
    opened = client.get(
        reverse("admin:redaction_proposedredaction_change", args=[above.pk]), follow=True
    )
    other = client.get(
        reverse("admin:redaction_proposedredaction_change", args=[ungranted.pk]), follow=True
    )

    assert [p.pk for p in listing.context["cl"].result_list] == [seen.pk]
    assert "06OTHERPOST3" not in listing.content.decode()
    assert opened.redirect_chain and other.redirect_chain  # "doesn't exist"
    assert "06OTHERPOST3" not in other.content.decode()


def test_the_cable_page_shows_the_signature_only_to_a_reader_of_every_paragraph(client):
    cable = CableFactory(level=int(Level.S), signature="KARNER")
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="The talks resumed.")
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text="The minister resigns.")
    low, high = staff("admin", Level.C, "low"), staff("admin", Level.S, "high")
    url = reverse("admin:cables_cable_change", args=[cable.pk])
    pages = {}
    for user in (low, high):
        permissions.grant(permissions.VIEW, user, cable)
        client.force_login(user)
        pages[user.username] = client.get(url).content.decode()

    assert "KARNER" in pages["high"]
    assert "KARNER" not in pages["low"]
