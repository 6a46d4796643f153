"""Re-review rounds of released cables (issue 11: the sweep only moves cables that wait).

Decisions carry the round they were taken in (1 for a first review; the column has a
database default, so a decision table with rows takes it without an UPDATE, which its
append-only trigger would refuse).  ``ReviewRound`` rows are opened by the due sweep.

The review queue's index (migration 0003) counted a cable as waiting when it was not
released; a released cable with an open round waits too.  One SQL function,
``workflow_cable_open``, says so for the triggers and for ``workflow.queue_index``'s
repair, and the rounds table gets triggers of its own.
"""

import django.db.models.deletion
from django.db import migrations, models

OPEN_ROUND = "EXISTS (SELECT 1 FROM workflow_reviewround r WHERE r.cable_id = {cable} AND r.closed_at IS NULL)"


def _queue_functions(open_expr) -> str:
    """The 0003 trigger functions that compute ``open``, with ``open_expr(state, cable)``."""
    holders = "".join(
        f"""
CREATE OR REPLACE FUNCTION workflow_queue_{kind}_added() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT DISTINCT '{kind}', a.{holder}, a.content_object_id, s.declass_date,
           {open_expr("s.review_state", "a.content_object_id")}, c.level, UPPER(c.origin)
    FROM added a
    JOIN auth_permission p ON p.id = a.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
    JOIN cables_cable c ON c.id = a.content_object_id
    LEFT JOIN workflow_cablestatus s ON s.cable_id = a.content_object_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
        for kind, holder in (("u", "user_id"), ("g", "group_id"))
    )
    return holders + f"""
CREATE OR REPLACE FUNCTION workflow_queue_status_changed() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry
    SET declass_date = NEW.declass_date, open = {open_expr("NEW.review_state", "NEW.cable_id")}
    WHERE cable_id = NEW.cable_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION workflow_queue_status_added() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry q
    SET declass_date = s.declass_date, open = {open_expr("s.review_state", "s.cable_id")}
    FROM added s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


FORWARD = (
    """
CREATE FUNCTION workflow_cable_open(state text, cable bigint) RETURNS boolean AS $$
    SELECT COALESCE(state <> 'released'
                    OR (state = 'released' AND """
    + OPEN_ROUND.format(cable="cable")
    + """), false)
$$ LANGUAGE sql STABLE;
"""
    + _queue_functions(lambda state, cable: f"workflow_cable_open({state}, {cable})")
    + """
CREATE FUNCTION workflow_queue_round_changed() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry q
    SET open = workflow_cable_open(s.review_state, s.cable_id)
    FROM (SELECT DISTINCT cable_id FROM changed) r
    JOIN workflow_cablestatus s ON s.cable_id = r.cable_id
    WHERE q.cable_id = r.cable_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_queue_round_added AFTER INSERT ON workflow_reviewround
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_round_changed();
CREATE TRIGGER workflow_queue_round_updated AFTER UPDATE ON workflow_reviewround
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_round_changed();
CREATE TRIGGER workflow_queue_round_removed AFTER DELETE ON workflow_reviewround
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_round_changed();
"""
)

BACKWARD = (
    """
DROP TRIGGER IF EXISTS workflow_queue_round_removed ON workflow_reviewround;
DROP TRIGGER IF EXISTS workflow_queue_round_updated ON workflow_reviewround;
DROP TRIGGER IF EXISTS workflow_queue_round_added ON workflow_reviewround;
DROP FUNCTION IF EXISTS workflow_queue_round_changed();
"""
    + _queue_functions(
        lambda state, cable: f"COALESCE({state} <> 'released', false)"
        if state.startswith("s.") and cable.startswith("a.")
        else f"{state} <> 'released'"
    )
    + """
DROP FUNCTION IF EXISTS workflow_cable_open(text, bigint);
"""
)


class Migration(migrations.Migration):

    dependencies = [
        ('cables', '0004_subject_marking'),
        ('workflow', '0010_assignment_batches'),
    ]

    operations = [
        migrations.AddField(
            model_name='decision',
            name='review_round',
            field=models.PositiveSmallIntegerField(db_default=1),
        ),
        migrations.CreateModel(
            name='ReviewRound',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField()),
                ('declass_date', models.DateField()),
                ('handled_date', models.DateField(blank=True, null=True)),
                ('exemption', models.CharField(blank=True, max_length=32)),
                ('rule', models.CharField(blank=True, max_length=32)),
                ('opened_at', models.DateTimeField()),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('release_version', models.PositiveIntegerField(blank=True, help_text='The release version whose publication closed it.', null=True)),
                ('cable', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='review_rounds', to='cables.cable')),
                ('sweep_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rounds', to='workflow.sweeprun')),
            ],
            options={
                'ordering': ['cable', 'number'],
                'constraints': [models.UniqueConstraint(fields=('cable', 'number'), name='reviewround_number_unique'), models.UniqueConstraint(condition=models.Q(('closed_at__isnull', True)), fields=('cable',), name='reviewround_one_open_per_cable'), models.CheckConstraint(condition=models.Q(('number__gte', 2)), name='reviewround_number_after_first')],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
