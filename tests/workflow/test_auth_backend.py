"""The login backend answers what Django's own ModelBackend answers, with fewer queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from tests.factories import UserFactory
from workflow.auth_backend import ClearanceModelBackend
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_permissions_are_djangos_for_every_kind_of_user(django_assert_num_queries):
    audit = Permission.objects.get(codename="view_auditevent")
    rules = Permission.objects.get(codename="change_redactionrule")
    group = Group.objects.create(name="auditors")
    group.permissions.add(audit)
    plain, member, both = UserFactory(), UserFactory(), UserFactory()
    member.groups.add(group)
    both.groups.add(group)
    both.user_permissions.add(rules, audit)  # held twice: once in the answer
    boss = UserFactory(is_superuser=True)
    gone = UserFactory(is_active=False)
    gone.user_permissions.add(rules)

    for user in (plain, member, both, boss, gone):
        expected = ModelBackend().get_all_permissions(fresh(user))
        loaded = fresh(user)
        with django_assert_num_queries(0 if not user.is_active else 1):
            got = ClearanceModelBackend().get_all_permissions(loaded)
        assert got == expected, user
        if user.is_active:
            assert ClearanceModelBackend().get_all_permissions(loaded) is got  # cached
            assert not hasattr(loaded, "_perm_cache")  # ModelBackend's own is left alone
    assert ClearanceModelBackend().get_all_permissions(fresh(member)) == {"audit.view_auditevent"}


def test_the_user_comes_with_their_clearance(django_assert_num_queries):
    user = UserFactory()
    Clearance.objects.create(user=user, level=2)

    with django_assert_num_queries(1):
        loaded = ClearanceModelBackend().get_user(user.pk)
        assert loaded.clearance.level == 2
    assert ClearanceModelBackend().get_user(10**9) is None
    inactive = UserFactory(is_active=False)
    assert ClearanceModelBackend().get_user(inactive.pk) is None


def test_the_loaded_user_is_the_one_the_orm_loads(django_assert_num_queries):
    """The written-out statement gives the user the ORM would, field for field; a user
    without a clearance row has none (``user.clearance`` raises, no second query)."""
    from django.contrib.auth import get_user_model

    cleared = UserFactory(first_name="Rita", email="rita@example.org", is_staff=True)
    Clearance.objects.create(user=cleared, level=3)
    bare = UserFactory()
    model = get_user_model()
    for user in (cleared, bare):
        expected = model.objects.select_related("clearance").get(pk=user.pk)
        with django_assert_num_queries(1):
            loaded = ClearanceModelBackend().get_user(user.pk)
            fields = model._meta.concrete_fields
            assert [f.value_from_object(loaded) for f in fields] == [
                f.value_from_object(expected) for f in fields
            ]
            assert loaded._state.adding is False and loaded._state.db == "default"
    with django_assert_num_queries(1):
        assert ClearanceModelBackend().get_user(cleared.pk).clearance.level == 3
    with django_assert_num_queries(1):
        loaded = ClearanceModelBackend().get_user(bare.pk)
        with pytest.raises(model.clearance.RelatedObjectDoesNotExist):
            loaded.clearance  # noqa: B018
