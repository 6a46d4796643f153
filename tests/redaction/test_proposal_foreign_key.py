"""A proposal's one foreign key: (paragraph_id, cable_id) -> the paragraph's (id, cable_id).

The database, not the ORM, refuses a proposal whose paragraph does not exist or whose
cable is not its paragraph's cable; and a raw DELETE that would leave proposals behind is
refused, as it was with the two keys Django made.  The tests run as the application role
(tests/db_roles.py), as the service does.  The key is deferred to COMMIT like Django's:
the tests inside a transaction ask for it IMMEDIATE, one test commits.
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from audit import db_roles
from cables.models import Cable, Paragraph
from redaction.models import ProposedRedaction
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, ParagraphFactory

pytestmark = pytest.mark.django_db

TABLE = ProposedRedaction._meta.db_table
KEY = "proposal_paragraph_cable_fk"
INSERT = (
    f'INSERT INTO {TABLE} (cable_id, paragraph_id, start, "end", action, labels, rules, '  # nosec B608 - model table name
    "created_at) VALUES (%s, %s, 0, 4, 'redact', '[]', '[]', now())"
)


def refused(*statements: tuple[str, list]) -> str:
    """Run the statements as the application role with the keys checked at once; the
    last must fail with a foreign-key violation.  The error, for the caller."""
    with pytest.raises(IntegrityError) as info:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for sql, params in statements:
                cursor.execute(sql, params)
    return str(info.value)


def proposal(paragraph: Paragraph, cable: Cable | None = None) -> ProposedRedaction:
    return ProposedRedaction.objects.create(
        cable=cable or paragraph.cable,
        paragraph=paragraph,
        start=0,
        end=4,
        action="redact",
        created_at=timezone.now(),
    )


def test_the_tests_run_as_the_application_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (db_roles.APP,)


def test_proposals_have_one_combined_foreign_key():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [TABLE],
        )
        assert cursor.fetchall() == [
            (
                KEY,
                "FOREIGN KEY (paragraph_id, cable_id) REFERENCES cables_paragraph(id, cable_id) "
                "DEFERRABLE INITIALLY DEFERRED",
            )
        ]


def test_a_proposal_of_its_paragraphs_cable_is_stored():
    paragraph = ParagraphFactory()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(INSERT, [paragraph.cable_id, paragraph.pk])
    assert ProposedRedaction.objects.filter(paragraph=paragraph).count() == 1


def test_a_proposal_whose_cable_is_not_its_paragraphs_cable_is_refused():
    paragraph, other = ParagraphFactory(), CableFactory()
    error = refused((INSERT, [other.pk, paragraph.pk]))
    assert KEY in error
    # Through the ORM too: nothing but the database checks it.
    with pytest.raises(IntegrityError, match=KEY):
        with transaction.atomic():
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
            proposal(paragraph, cable=other)
    assert not ProposedRedaction.objects.exists()


def test_a_proposal_of_a_missing_paragraph_or_cable_is_refused():
    paragraph = ParagraphFactory()
    assert KEY in refused((INSERT, [paragraph.cable_id, paragraph.pk + 1000]))
    assert KEY in refused((INSERT, [paragraph.cable_id + 1000, paragraph.pk]))


def test_a_proposal_cannot_be_moved_to_another_cable():
    paragraph, other = ParagraphFactory(), CableFactory()
    pk = proposal(paragraph).pk
    assert KEY in refused((f"UPDATE {TABLE} SET cable_id = %s WHERE id = %s", [other.pk, pk]))  # nosec B608 - model table name
    # Its paragraph is not the application role's to change at all (audit.db_roles).
    with pytest.raises(ProgrammingError, match="permission denied"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cables_paragraph SET cable_id = %s WHERE id = %s", [other.pk, paragraph.pk]
            )


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
def test_a_paragraph_cannot_be_moved_away_from_its_proposals():
    """Nor by a role that may update paragraphs (the superuser here): the key refuses."""
    paragraph, other = ParagraphFactory(), CableFactory()
    proposal(paragraph)
    with superuser_connection() as conn, pytest.raises(psycopg.IntegrityError, match=KEY):
        conn.execute(
            "UPDATE cables_paragraph SET cable_id = %s WHERE id = %s", [other.pk, paragraph.pk]
        )
    assert Paragraph.objects.get(pk=paragraph.pk).cable_id == paragraph.cable_id


def test_a_raw_delete_that_would_leave_proposals_behind_is_refused():
    paragraph = ParagraphFactory()
    proposal(paragraph)
    cable_id = paragraph.cable_id
    assert KEY in refused(("DELETE FROM cables_paragraph WHERE id = %s", [paragraph.pk]))
    # The cable: refused for its paragraphs (their own key) and, once they are gone too,
    # for its proposals.
    refused(("DELETE FROM cables_cable WHERE id = %s", [cable_id]))
    assert KEY in refused(
        ("DELETE FROM cables_paragraph WHERE cable_id = %s", [cable_id]),
        ("DELETE FROM cables_cable WHERE id = %s", [cable_id]),
    )
    assert ProposedRedaction.objects.filter(cable_id=cable_id).count() == 1


def test_a_raw_delete_of_the_proposals_first_goes_through():
    paragraph = ParagraphFactory()
    proposal(paragraph)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DELETE FROM {TABLE} WHERE paragraph_id = %s", [paragraph.pk])  # nosec B608 - model table name
        cursor.execute("DELETE FROM cables_paragraph WHERE id = %s", [paragraph.pk])
    assert not Paragraph.objects.filter(pk=paragraph.pk).exists()


def test_deleting_a_cable_or_paragraph_through_the_orm_removes_their_proposals():
    first, second = ParagraphFactory(), ParagraphFactory()
    proposal(first)
    proposal(second)
    with transaction.atomic():
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        Paragraph.objects.filter(pk=first.pk).delete()
        Cable.objects.filter(pk=second.cable_id).delete()
    assert not ProposedRedaction.objects.exists()
    assert not Paragraph.objects.filter(pk=second.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_key_is_checked_at_commit():
    """Deferred, as Django's keys are: the statement passes, the COMMIT refuses."""
    paragraph, other = ParagraphFactory(), CableFactory()
    with pytest.raises(IntegrityError, match=KEY):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(INSERT, [other.pk, paragraph.pk])
    assert not ProposedRedaction.objects.exists()
