"""Personas and cables for the API tests, each persona with its own token."""

from __future__ import annotations

import pytest

from tests.api.helpers import SECRET, token_client
from tests.factories import persona_world


@pytest.fixture
def world(db):
    """A SECRET cable in review with a CONFIDENTIAL and a SECRET paragraph, and one
    user per persona (cleared TOP SECRET, except low_clearance: CONFIDENTIAL)."""
    return persona_world(f"{SECRET} here.")


@pytest.fixture
def api_for(world):
    def make(persona: str):
        return token_client(None if persona == "anonymous" else world["users"][persona])

    return make
