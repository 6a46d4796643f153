"""The workflow's trigger functions and ``workflow_cable_open`` name their tables by
schema and run with a fixed search path.

The queue index's and the status table's triggers read and write tables by bare names
through the session's ``search_path``, where a temporary table of the application
role's would come first: the queue could be fed from, or written to, a table of its
choosing.  Each function now names ``public.`` tables and runs with ``search_path =
pg_catalog, public, pg_temp`` (temporary tables last).

The queue index itself (``workflow_queueentry``) is written by those triggers and by
the repair (``workflow.queue_index``); a row written there by any other statement shows
a cable in the queue of whoever it names, grant or none.  Every row a statement writes
directly (not from inside a trigger) is now recorded in the access trail
(``audit_accesschange``, by the owner's ``audit_record_access_change``), and where it
disagrees with the grants (a row written that no grant holds, or a held row taken
away) its cable is logged in ``workflow_queuetouched``, so that the repair after the
next sweep puts it right.  The repair's own writes agree with the grants: they are
recorded, never logged.  Rows the grant and status triggers write are neither: those
tables' own triggers record and log the change.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION public.workflow_cable_open(state text, cable bigint)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT COALESCE(state <> 'released'
                    OR (state = 'released' AND EXISTS (SELECT 1 FROM public.workflow_reviewround r WHERE r.cable_id = cable AND r.closed_at IS NULL)), false)
$function$;

CREATE OR REPLACE FUNCTION public.workflow_status_cables_added()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_cablestatus (cable_id, review_state, declass_date)
    SELECT id, 'ingested', declass_date FROM added
    ON CONFLICT (cable_id) DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_status_dates_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_cablestatus AS s (cable_id, review_state, declass_date)
    SELECT n.id, 'ingested', n.declass_date
    FROM changed n JOIN previous o ON o.id = n.id
    WHERE n.declass_date IS DISTINCT FROM o.declass_date
    ON CONFLICT (cable_id) DO UPDATE SET declass_date = EXCLUDED.declass_date
        WHERE s.declass_date IS DISTINCT FROM EXCLUDED.declass_date;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_u_added()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT DISTINCT 'u', a.user_id, a.content_object_id, s.declass_date,
           public.workflow_cable_open(s.review_state, a.content_object_id), c.level, UPPER(c.origin)
    FROM added a
    JOIN public.auth_permission p ON p.id = a.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN public.django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
    JOIN public.cables_cable c ON c.id = a.content_object_id
    LEFT JOIN public.workflow_cablestatus s ON s.cable_id = a.content_object_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_u_removed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    DELETE FROM public.workflow_queueentry q
    USING (SELECT DISTINCT user_id, content_object_id FROM removed) r
    WHERE q.holder_kind = 'u' AND q.holder_id = r.user_id
      AND q.cable_id = r.content_object_id
      AND NOT EXISTS (
          SELECT 1 FROM public.workflow_cableuserobjectpermission x
    JOIN public.auth_permission p ON p.id = x.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN public.django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'

          WHERE x.user_id = r.user_id AND x.content_object_id = r.content_object_id);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_g_added()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT DISTINCT 'g', a.group_id, a.content_object_id, s.declass_date,
           public.workflow_cable_open(s.review_state, a.content_object_id), c.level, UPPER(c.origin)
    FROM added a
    JOIN public.auth_permission p ON p.id = a.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN public.django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
    JOIN public.cables_cable c ON c.id = a.content_object_id
    LEFT JOIN public.workflow_cablestatus s ON s.cable_id = a.content_object_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_g_removed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    DELETE FROM public.workflow_queueentry q
    USING (SELECT DISTINCT group_id, content_object_id FROM removed) r
    WHERE q.holder_kind = 'g' AND q.holder_id = r.group_id
      AND q.cable_id = r.content_object_id
      AND NOT EXISTS (
          SELECT 1 FROM public.workflow_cablegroupobjectpermission x
    JOIN public.auth_permission p ON p.id = x.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN public.django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'

          WHERE x.group_id = r.group_id AND x.content_object_id = r.content_object_id);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_status_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE public.workflow_queueentry
    SET declass_date = NEW.declass_date, open = public.workflow_cable_open(NEW.review_state, NEW.cable_id)
    WHERE cable_id = NEW.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_status_removed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE public.workflow_queueentry q SET open = false FROM removed s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_status_added()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE public.workflow_queueentry q
    SET declass_date = s.declass_date, open = public.workflow_cable_open(s.review_state, s.cable_id)
    FROM added s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_cable_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE public.workflow_queueentry SET level = NEW.level, origin_key = UPPER(NEW.origin)
    WHERE cable_id = NEW.id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_decision_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION 'decisions are append-only: record a new decision that supersedes this one';
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_record_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION '% is append-only: its rows are a record', TG_TABLE_NAME;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_round_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE public.workflow_queueentry q
    SET open = public.workflow_cable_open(s.review_state, s.cable_id)
    FROM (SELECT DISTINCT cable_id FROM changed) r
    JOIN public.workflow_cablestatus s ON s.cable_id = r.cable_id
    WHERE q.cable_id = r.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_content_object_id()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_queuetouched (cable_id) SELECT DISTINCT content_object_id FROM rows;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_cable_id()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_queuetouched (cable_id) SELECT DISTINCT cable_id FROM rows;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_status()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_queuetouched (cable_id)
    SELECT DISTINCT n.cable_id FROM new_rows n JOIN old_rows o ON o.cable_id = n.cable_id
    WHERE n.declass_date IS DISTINCT FROM o.declass_date
       OR (n.review_state = 'released') IS DISTINCT FROM (o.review_state = 'released');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_cable()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO public.workflow_queuetouched (cable_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.level IS DISTINCT FROM o.level OR n.origin IS DISTINCT FROM o.origin;
    RETURN NULL;
END;
$function$;
"""

# The definitions as they were, for the way back.
BACKWARD = """
CREATE OR REPLACE FUNCTION public.workflow_cable_open(state text, cable bigint)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT COALESCE(state <> 'released'
                    OR (state = 'released' AND EXISTS (SELECT 1 FROM workflow_reviewround r WHERE r.cable_id = cable AND r.closed_at IS NULL)), false)
$function$;

CREATE OR REPLACE FUNCTION public.workflow_status_cables_added()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_cablestatus (cable_id, review_state, declass_date)
    SELECT id, 'ingested', declass_date FROM added
    ON CONFLICT (cable_id) DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_status_dates_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_cablestatus AS s (cable_id, review_state, declass_date)
    SELECT n.id, 'ingested', n.declass_date
    FROM changed n JOIN previous o ON o.id = n.id
    WHERE n.declass_date IS DISTINCT FROM o.declass_date
    ON CONFLICT (cable_id) DO UPDATE SET declass_date = EXCLUDED.declass_date
        WHERE s.declass_date IS DISTINCT FROM EXCLUDED.declass_date;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_u_added()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT DISTINCT 'u', a.user_id, a.content_object_id, s.declass_date,
           workflow_cable_open(s.review_state, a.content_object_id), c.level, UPPER(c.origin)
    FROM added a
    JOIN auth_permission p ON p.id = a.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
    JOIN cables_cable c ON c.id = a.content_object_id
    LEFT JOIN workflow_cablestatus s ON s.cable_id = a.content_object_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_u_removed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    DELETE FROM workflow_queueentry q
    USING (SELECT DISTINCT user_id, content_object_id FROM removed) r
    WHERE q.holder_kind = 'u' AND q.holder_id = r.user_id
      AND q.cable_id = r.content_object_id
      AND NOT EXISTS (
          SELECT 1 FROM workflow_cableuserobjectpermission x
    JOIN auth_permission p ON p.id = x.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'

          WHERE x.user_id = r.user_id AND x.content_object_id = r.content_object_id);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_g_added()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT DISTINCT 'g', a.group_id, a.content_object_id, s.declass_date,
           workflow_cable_open(s.review_state, a.content_object_id), c.level, UPPER(c.origin)
    FROM added a
    JOIN auth_permission p ON p.id = a.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
    JOIN cables_cable c ON c.id = a.content_object_id
    LEFT JOIN workflow_cablestatus s ON s.cable_id = a.content_object_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_g_removed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    DELETE FROM workflow_queueentry q
    USING (SELECT DISTINCT group_id, content_object_id FROM removed) r
    WHERE q.holder_kind = 'g' AND q.holder_id = r.group_id
      AND q.cable_id = r.content_object_id
      AND NOT EXISTS (
          SELECT 1 FROM workflow_cablegroupobjectpermission x
    JOIN auth_permission p ON p.id = x.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'

          WHERE x.group_id = r.group_id AND x.content_object_id = r.content_object_id);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_status_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE workflow_queueentry
    SET declass_date = NEW.declass_date, open = workflow_cable_open(NEW.review_state, NEW.cable_id)
    WHERE cable_id = NEW.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_status_removed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE workflow_queueentry q SET open = false FROM removed s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_status_added()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE workflow_queueentry q
    SET declass_date = s.declass_date, open = workflow_cable_open(s.review_state, s.cable_id)
    FROM added s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_cable_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE workflow_queueentry SET level = NEW.level, origin_key = UPPER(NEW.origin)
    WHERE cable_id = NEW.id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_decision_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'decisions are append-only: record a new decision that supersedes this one';
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_record_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION '% is append-only: its rows are a record', TG_TABLE_NAME;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_round_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE workflow_queueentry q
    SET open = workflow_cable_open(s.review_state, s.cable_id)
    FROM (SELECT DISTINCT cable_id FROM changed) r
    JOIN workflow_cablestatus s ON s.cable_id = r.cable_id
    WHERE q.cable_id = r.cable_id;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_content_object_id()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id) SELECT DISTINCT content_object_id FROM rows;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_cable_id()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id) SELECT DISTINCT cable_id FROM rows;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_status()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id)
    SELECT DISTINCT n.cable_id FROM new_rows n JOIN old_rows o ON o.cable_id = n.cable_id
    WHERE n.declass_date IS DISTINCT FROM o.declass_date
       OR (n.review_state = 'released') IS DISTINCT FROM (o.review_state = 'released');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.workflow_queue_touched_cable()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.level IS DISTINCT FROM o.level OR n.origin IS DISTINCT FROM o.origin;
    RETURN NULL;
END;
$function$;
"""

# ``WHEN (pg_trigger_depth() < 1)``: only a statement run directly, not the writes of the
# queue's own triggers (the grant tables' and the statuses' triggers).
QUEUE_DIRECT = """
CREATE FUNCTION public.workflow_queue_held(kind text, holder bigint, cable bigint)
RETURNS boolean LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.auth_permission p
        JOIN public.django_content_type ct ON ct.id = p.content_type_id
            AND ct.app_label = 'cables'
        WHERE p.codename IN ('review_cable', 'release_cable')
          AND CASE kind
              WHEN 'u' THEN EXISTS (
                  SELECT 1 FROM public.workflow_cableuserobjectpermission a
                  WHERE a.permission_id = p.id AND a.user_id = holder
                    AND a.content_object_id = cable)
              WHEN 'g' THEN EXISTS (
                  SELECT 1 FROM public.workflow_cablegroupobjectpermission a
                  WHERE a.permission_id = p.id AND a.group_id = holder
                    AND a.content_object_id = cable)
              ELSE false
          END)
$$;
CREATE FUNCTION public.workflow_queue_touched_directly() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    -- A row no grant holds written, or a held one taken away: the repair's own writes
    -- are neither, so only what it has to put right is logged.
    IF TG_OP <> 'DELETE' AND NOT public.workflow_queue_held(
            NEW.holder_kind, NEW.holder_id, NEW.cable_id) THEN
        INSERT INTO public.workflow_queuetouched (cable_id) VALUES (NEW.cable_id);
    END IF;
    IF (TG_OP = 'DELETE'
        OR (TG_OP = 'UPDATE' AND (NEW.holder_kind, NEW.holder_id, NEW.cable_id)
            IS DISTINCT FROM (OLD.holder_kind, OLD.holder_id, OLD.cable_id)))
       AND public.workflow_queue_held(OLD.holder_kind, OLD.holder_id, OLD.cable_id) THEN
        INSERT INTO public.workflow_queuetouched (cable_id) VALUES (OLD.cable_id);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION public.workflow_queue_touched_directly() FROM PUBLIC;
CREATE TRIGGER workflow_queueentry_direct_logged
    AFTER INSERT OR UPDATE OR DELETE ON public.workflow_queueentry
    FOR EACH ROW WHEN (pg_trigger_depth() < 1)
    EXECUTE FUNCTION public.workflow_queue_touched_directly();
CREATE TRIGGER workflow_queueentry_direct_recorded
    AFTER INSERT OR UPDATE OR DELETE ON public.workflow_queueentry
    FOR EACH ROW WHEN (pg_trigger_depth() < 1)
    EXECUTE FUNCTION public.audit_record_access_change();
"""
QUEUE_DIRECT_BACKWARD = """
DROP TRIGGER IF EXISTS workflow_queueentry_direct_recorded ON public.workflow_queueentry;
DROP TRIGGER IF EXISTS workflow_queueentry_direct_logged ON public.workflow_queueentry;
DROP FUNCTION IF EXISTS public.workflow_queue_touched_directly();
DROP FUNCTION IF EXISTS public.workflow_queue_held(text, bigint, bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0016_notification_kind"),
        ("audit", "0008_fixed_search_path"),
    ]
    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunSQL(QUEUE_DIRECT, QUEUE_DIRECT_BACKWARD),
    ]
