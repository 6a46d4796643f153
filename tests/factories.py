"""factory_boy factories for the project's models."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cables.markings import Level
from cables.models import Cable, Paragraph
from workflow.models import CableStatus, Clearance, ReviewState


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests-only")


def person(username: str, level: Level, *roles: str):  # type: ignore[no-untyped-def]
    """A user holding ``roles`` (the service's groups, made by migration), cleared to
    ``level``: a persona for tests that act through the pages or the API."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    Clearance.objects.create(user=user, level=int(level))
    return user


class CableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cable
        skip_postgeneration_save = True

    reference_id = factory.Sequence(lambda n: f"06EXAMPLETOWN{n + 1}")
    sent_at = factory.LazyFunction(lambda: datetime(2006, 2, 10, 15, 30, tzinfo=UTC))
    origin = "Embassy Exampletown"
    originator = "AMEMBASSY EXAMPLETOWN"
    level = int(Level.C)
    executive_order = "12958"
    decl = "02/10/2016"
    reasons = factory.LazyFunction(lambda: ["1.4(d)"])
    tags = factory.LazyFunction(lambda: ["PREL", "XX"])
    subject = "EXAMPLE SUBJECT"
    # Marked (U): a classified subject is a portion reviewers must decide before the review
    # is finished (workflow.subject); a test that wants one sets subject_level itself.
    subject_level = int(Level.U)
    raw_text = factory.LazyAttribute(lambda c: f"synthetic cable {c.reference_id}")
    sha256 = factory.LazyAttribute(lambda c: hashlib.sha256(c.raw_text.encode()).hexdigest())
    imported_at = factory.LazyFunction(timezone.now)

    declass_date = None

    @classmethod
    def _create(cls, model_class: type[Cable], *args: object, **kwargs: object) -> Cable:
        """The database gives every stored cable its status row ('ingested', with the
        cable's date); ``review_state=`` puts it where the test wants it."""
        review_state = kwargs.pop("review_state", ReviewState.INGESTED)
        cable = super()._create(model_class, *args, **kwargs)
        if review_state != ReviewState.INGESTED:
            CableStatus.objects.filter(cable=cable).update(review_state=review_state)
        return cable


class ParagraphFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paragraph

    cable = factory.SubFactory(CableFactory)
    ordinal = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda p: str(p.ordinal))
    level = int(Level.C)
    text = "Paragraph text."


def persona_world(secret_text: str) -> dict:
    """The permission matrices' world (web pages and API): a SECRET cable in review
    with a CONFIDENTIAL and a SECRET paragraph (holding ``secret_text``), and one user
    per persona, cleared TOP SECRET except low_clearance (CONFIDENTIAL)."""
    from cables.markings import Level
    from workflow import permissions
    from workflow.models import Clearance, ReviewState

    cable = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
    low = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Confidential text.")
    high = ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=secret_text)
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
