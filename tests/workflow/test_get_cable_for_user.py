"""``permissions.get_cable_for_user`` written as one statement: the cable the ORM's
grant-checked query returns, field for field, with its status and the page's
subqueries, for every kind of reader; the same 404 for a missing and a forbidden cable."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.http import Http404

from cables.markings import Level
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import CableStatus, ReviewState
from workflow.review_views import REVIEW_PAGE_FIELDS
from workflow.selectors import open_round_number_of, subject_decided_of

pytestmark = pytest.mark.django_db


def orm_answer(user, pk, codename, only=(), annotate=None):
    cables = permissions.cables_for_user(user, codename, among=[pk]).select_related("status")
    if only:
        cables = cables.only(*only, "status__review_state", "status__declass_date")
    if annotate:
        cables = cables.annotate(**annotate)
    return cables.filter(pk=pk).first()


@pytest.fixture
def cable():
    cable = CableFactory(level=int(Level.S), subject="TALKS ON THE HARBOR", tags=["PREL"])
    CableStatus.objects.filter(cable=cable).update(
        review_state=ReviewState.DUE, declass_date=date(2016, 2, 10)
    )
    return cable


def readers(cable):
    direct = UserFactory(username="reviewer")
    permissions.grant(permissions.REVIEW, direct, cable)
    member = UserFactory(username="member")
    group = Group.objects.create(name="reviewers of the cable")
    member.groups.add(group)
    permissions.grant(permissions.REVIEW, group, cable)
    viewer = UserFactory(username="viewer")
    permissions.grant(permissions.VIEW, viewer, cable)
    inactive = UserFactory(username="inactive", is_active=False)
    permissions.grant(permissions.REVIEW, inactive, cable)
    return {
        "direct grant": (direct, True),
        "group grant": (member, True),
        "view only": (viewer, False),
        "no grant": (UserFactory(username="stranger"), False),
        "inactive": (inactive, False),
        "superuser": (UserFactory(username="root", is_superuser=True), True),
        "inactive superuser": (
            UserFactory(username="former-root", is_superuser=True, is_active=False),
            False,
        ),
        "anonymous": (AnonymousUser(), False),
    }


@pytest.mark.parametrize("shape", ["whole", "review page"])
def test_the_statement_returns_what_the_orm_returns(cable, shape, django_assert_num_queries):
    kwargs = {}
    if shape == "review page":
        kwargs = {
            "only": REVIEW_PAGE_FIELDS,
            "annotate": {
                "open_round": open_round_number_of(cable.pk),
                "subject_decided": subject_decided_of(cable.pk),
            },
        }
    for label, (user, may) in readers(cable).items():
        want = orm_answer(user, cable.pk, permissions.REVIEW, **kwargs)
        if not may:
            assert want is None, label
            with pytest.raises(Http404, match="No Cable matches"):
                permissions.get_cable_for_user(user, cable.pk, permissions.REVIEW, **kwargs)
            continue
        with django_assert_num_queries(1):
            got = permissions.get_cable_for_user(user, cable.pk, permissions.REVIEW, **kwargs)
            state, declass = got.status.review_state, got.status.declass_date
        assert (state, declass) == (ReviewState.DUE, date(2016, 2, 10)), label
        assert got.get_deferred_fields() == want.get_deferred_fields(), label
        for field in type(want)._meta.concrete_fields:
            if field.attname not in want.get_deferred_fields():
                assert getattr(got, field.attname) == getattr(want, field.attname), label
        assert got.status.cable is got
        assert got.status.get_deferred_fields() == want.status.get_deferred_fields(), label
        for name in kwargs.get("annotate", {}):
            assert getattr(got, name) == getattr(want, name), (label, name)
        assert got._state.adding is False


def test_a_missing_cable_and_a_bad_id_look_like_a_forbidden_one(cable):
    root = UserFactory(username="root", is_superuser=True)
    for pk in (cable.pk + 1000, "not-a-number", None):
        with pytest.raises(Http404, match="No Cable matches the given query"):
            permissions.get_cable_for_user(root, pk)
    assert permissions.get_cable_for_user(root, str(cable.pk)).pk == cable.pk


def test_a_cable_without_status_has_none_as_the_orm_says(cable):
    root = UserFactory(username="root", is_superuser=True)
    CableStatus.objects.filter(cable=cable).delete()

    got = permissions.get_cable_for_user(root, cable.pk)

    with pytest.raises(CableStatus.DoesNotExist):
        got.status  # noqa: B018


def test_an_annotation_must_be_a_written_out_subquery(cable):
    from django.db.models import Value

    root = UserFactory(username="root", is_superuser=True)
    with pytest.raises(TypeError, match="RawSQL"):
        permissions.get_cable_for_user(root, cable.pk, annotate={"x": Value(1)})


def test_an_annotation_needs_a_name_of_its_own(cable):
    """A name is never SQL, and never a field's: an annotation named ``level`` would
    replace the level the clearance checks read."""
    from django.db.models import IntegerField
    from django.db.models.expressions import RawSQL

    root = UserFactory(username="root", is_superuser=True)
    top = RawSQL("SELECT 3", [], output_field=IntegerField())
    for name in ("level", "subject_level", "status", "pk", "id", 'x", (SELECT 1) AS "y'):
        with pytest.raises(ValueError, match="not a name of its own"):
            permissions.get_cable_for_user(root, cable.pk, annotate={name: top})
    assert permissions.get_cable_for_user(root, cable.pk, annotate={"three": top}).three == 3


def test_an_annotation_is_converted_as_the_orm_converts_it(cable):
    from django.db.models import JSONField
    from django.db.models.expressions import RawSQL

    root = UserFactory(username="root", is_superuser=True)
    spans = RawSQL("""SELECT '[{"start": 1}]'::jsonb""", [], output_field=JSONField())

    got = permissions.get_cable_for_user(root, cable.pk, annotate={"spans": spans})

    assert (
        got.spans == orm_answer(root, cable.pk, permissions.VIEW, annotate={"spans": spans}).spans
    )
    assert got.spans == [{"start": 1}]
