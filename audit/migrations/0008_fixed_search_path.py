"""The audit trail's trigger functions run with a fixed search path.

A trigger function that reads a table by a bare name reads whatever the session's
``search_path`` finds first, and a temporary table comes first unless ``pg_temp`` is
named.  Every function here gets ``search_path = pg_catalog, public, pg_temp``
(``audit_record_access_change``, which runs as the owner, had no ``pg_temp`` at the
end) and names its tables ``public.``.

An entry's time is the service's clock when it is appended; the application role
could give it any.  An entry that says it was written more than five minutes before
the database's clock (the margin covers clocks of different hosts) is refused, and
``audit.trail.verify_chain`` reports an entry earlier than the one before it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION public.audit_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$function$;

CREATE OR REPLACE FUNCTION public.declass_refuse_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION '%: a record table is never truncated', TG_TABLE_NAME;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_record_access_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    before_row jsonb;
    after_row jsonb;
BEGIN
    IF TG_TABLE_SCHEMA <> 'public' THEN
        RAISE EXCEPTION 'the access trail watches the service''s own tables only';
    END IF;
    IF TG_OP <> 'INSERT' THEN
        before_row := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        after_row := to_jsonb(NEW);
    END IF;
    IF TG_TABLE_NAME = 'auth_user' THEN
        before_row := before_row - 'password';
        after_row := after_row - 'password';
    END IF;
    INSERT INTO public.audit_accesschange
        (at, db_role, session_role, table_name, operation, before, after, txid)
    VALUES (now(), session_user, session_user, TG_TABLE_NAME, TG_OP, before_row, after_row,
            pg_current_xact_id()::text::bigint);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_access_change_by_trigger_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'audit_accesschange is written by the database''s triggers only';
    END IF;
    RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_refuse_unrecorded_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION '%: access changes are recorded row by row, TRUNCATE would leave no trace',
        TG_TABLE_NAME;
END;
$function$;
"""

# The definitions as they were, for the way back.
BACKWARD = """
CREATE OR REPLACE FUNCTION public.audit_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$function$;

CREATE OR REPLACE FUNCTION public.declass_refuse_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION '%: a record table is never truncated', TG_TABLE_NAME;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_record_access_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
DECLARE
    before_row jsonb;
    after_row jsonb;
BEGIN
    IF TG_TABLE_SCHEMA <> 'public' THEN
        RAISE EXCEPTION 'the access trail watches the service''s own tables only';
    END IF;
    IF TG_OP <> 'INSERT' THEN
        before_row := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        after_row := to_jsonb(NEW);
    END IF;
    IF TG_TABLE_NAME = 'auth_user' THEN
        before_row := before_row - 'password';
        after_row := after_row - 'password';
    END IF;
    INSERT INTO public.audit_accesschange
        (at, db_role, session_role, table_name, operation, before, after, txid)
    VALUES (now(), session_user, session_user, TG_TABLE_NAME, TG_OP, before_row, after_row,
            pg_current_xact_id()::text::bigint);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_access_change_by_trigger_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'audit_accesschange is written by the database''s triggers only';
    END IF;
    RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_refuse_unrecorded_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION '%: access changes are recorded row by row, TRUNCATE would leave no trace',
        TG_TABLE_NAME;
END;
$function$;
"""

NOT_BACKDATED = """
CREATE FUNCTION public.audit_not_backdated() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.at < clock_timestamp() - interval '5 minutes' THEN
        RAISE EXCEPTION 'an audit entry is written when it happens: % is in the past', NEW.at;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE EXECUTE ON FUNCTION public.audit_not_backdated() FROM PUBLIC;
CREATE TRIGGER audit_auditevent_not_backdated BEFORE INSERT ON public.audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION public.audit_not_backdated();
"""
NOT_BACKDATED_BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditevent_not_backdated ON public.audit_auditevent;
DROP FUNCTION IF EXISTS public.audit_not_backdated();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_access_change_definer")]
    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunSQL(NOT_BACKDATED, NOT_BACKDATED_BACKWARD),
    ]
