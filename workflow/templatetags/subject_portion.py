"""The review page's subject portion (``templates/workflow/_subject_portion.html``).

The include asks ``{% subject_portion cable as portion %}`` for what it shows, so that
the review view passes nothing new: the subject as a portion with its marking, its
current decision, and whether the user may decide it (``workflow.subject``).  At most
one query: the current decision, and only for a subject that needs one and that the
user is cleared to read; none when the page's cable query says the subject has no
decision yet (annotated ``subject_decided``: the review page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from cables.markings import Level
from workflow import access, subject
from workflow.models import SubjectDecision

register = template.Library()


@dataclass(frozen=True)
class SubjectPortion:
    """What the review page shows of the subject as a portion."""

    needed: bool  # it needs a decision (classified); False: nothing to show
    readable: bool  # the user is cleared for it (else it is neither shown nor decided)
    level: int
    marking: str  # "S", "C"...
    explicit: bool  # marked with its own portion mark (else handled as the cable's level)
    text: str
    decision: SubjectDecision | None


def portion_for(user: Any, cable: Any) -> SubjectPortion:
    """The subject portion of ``cable`` as ``user`` (a reviewer of it) sees it."""
    needed = subject.needs_decision(cable)
    readable = needed and access.may_read_subject(user, cable)
    level = access.subject_level(cable)
    return SubjectPortion(
        needed=needed,
        readable=readable,
        level=int(level),
        marking=Level(level).name,
        explicit=cable.subject_level is not None,
        text=cable.subject if readable else "",
        decision=subject.current(cable) if readable and _may_be_decided(cable) else None,
    )


def _may_be_decided(cable: Any) -> bool:
    """False only when the cable was read with ``subject_decided`` and it says no
    decision exists (workflow.selectors.subject_decided_of); else the query decides."""
    return getattr(cable, "subject_decided", True) is not False


@register.simple_tag(takes_context=True)
def subject_portion(context: template.Context, cable: Any) -> SubjectPortion:
    """The subject portion for the page's user (``request.user``)."""
    return portion_for(context["request"].user, cable)
