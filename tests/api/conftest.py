"""Personas and cables for the API tests, each persona with its own token."""

from __future__ import annotations

import pytest

from cables.markings import Level
from cables.models import ReviewState
from tests.api.helpers import SECRET, token_client
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance


@pytest.fixture
def world(db):
    """A SECRET cable in review with a CONFIDENTIAL and a SECRET paragraph, and one
    user per persona (cleared TOP SECRET, except low_clearance: CONFIDENTIAL)."""
    cable = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
    low = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Confidential text.")
    high = ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=f"{SECRET} here.")
    users = {}
    for name, perm, level in [
        ("no_permission", None, Level.TS),
        ("view_only", permissions.VIEW, Level.TS),
        ("reviewer", permissions.REVIEW, Level.TS),
        ("releaser", permissions.RELEASE, Level.TS),
        ("low_clearance", permissions.REVIEW, Level.C),
    ]:
        user = UserFactory(username=name)
        Clearance.objects.create(user=user, level=int(level))
        if perm:
            permissions.grant(perm, user, cable)
        users[name] = user
    return {"cable": cable, "low": low, "high": high, "users": users}


@pytest.fixture
def api_for(world):
    def make(persona: str):
        return token_client(None if persona == "anonymous" else world["users"][persona])

    return make
