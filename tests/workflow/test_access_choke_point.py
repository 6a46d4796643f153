"""workflow.access, the one place that says what a user may read: default deny, grants
(direct or through a group) and clearance together, and the raw text only to whoever
is cleared for every paragraph.  The pages that use it are tested as their users act
(test_access_admin, test_access_dry_run, test_access_consistency); this is the rule."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from cables.markings import Level
from cables.models import Paragraph
from redaction.dry_run import rule_dry_run
from redaction.models import RedactionRule
from redaction.rule_services import rule_save
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import access, permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


@pytest.fixture
def cable():
    cable = CableFactory(level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="low")
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text="high")
    return cable


def cleared(level, *, username="u"):
    user = UserFactory(username=username)
    Clearance.objects.create(user=user, level=int(level))
    return user


def texts(user):
    return sorted(access.readable_paragraphs(user).values_list("text", flat=True))


def test_default_deny(cable):
    inactive = cleared(Level.TS)
    permissions.grant(permissions.VIEW, inactive, cable)
    inactive.is_active = False
    inactive.save()

    assert texts(AnonymousUser()) == [] and texts(inactive) == []
    assert texts(cleared(Level.TS, username="ungranted")) == []
    assert not access.may_read_raw_text(AnonymousUser(), cable)
    assert not access.readable_cables(AnonymousUser()).exists()


def test_grant_and_clearance_together_direct_or_through_a_group(cable):
    low = cleared(Level.C, username="low")
    permissions.grant(permissions.REVIEW, low, cable)
    high = cleared(Level.TS, username="high")
    desk = Group.objects.create(name="desk")
    high.groups.add(desk)
    permissions.grant(permissions.VIEW, desk, cable)

    assert texts(low) == ["low"]
    assert texts(high) == ["high", "low"]
    assert not access.may_read_raw_text(low, cable)
    assert access.may_read_raw_text(high, cable)


def test_raw_text_needs_clearance_for_the_cable_level_too():
    cable = CableFactory(level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="low")
    user = cleared(Level.C)
    permissions.grant(permissions.VIEW, user, cable)

    assert texts(user) == ["low"]
    assert not access.may_read_raw_text(user, cable)


def test_a_dry_run_given_nothing_readable_scans_counts_and_shows_nothing(cable):
    rule = RedactionRule(name="r", kind="terms", terms="low\nhigh", label="(b)(6)")
    rule_save(rule=rule, user=None)

    result = rule_dry_run(rule, readable=Paragraph.objects.none())

    assert (result.scanned, result.paragraphs_hit, result.spans) == (0, 0, 0)
    assert result.samples == [] and result.hidden_in_reach is None
