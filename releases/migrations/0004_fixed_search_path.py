"""The releases' trigger functions name their tables by schema and run with a fixed
search path.

``releases_file_needs_pending`` read ``releases_release`` through the session's
``search_path``, where a temporary table of that name comes first: the application role
could create one saying "pending" and add a file to a published release.  Each function
now names ``public.`` tables and runs with ``search_path = pg_catalog, public, pg_temp``
(temporary tables last), whoever sets it off.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION public.releases_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION 'a published release and its files are immutable';
END;
$function$;

CREATE OR REPLACE FUNCTION public.releases_file_needs_pending()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    current_status varchar;
BEGIN
    SELECT status INTO current_status FROM public.releases_release
        WHERE id = NEW.release_id FOR SHARE;
    IF current_status IS DISTINCT FROM 'pending' THEN
        RAISE EXCEPTION USING MESSAGE = 'release ' || NEW.release_id
            || ': files are added only while it is pending (it is '
            || coalesce(current_status, 'missing') || ')';
    END IF;
    RETURN NEW;
END;
$function$;
"""

# The definitions as they were, for the way back.
BACKWARD = """
CREATE OR REPLACE FUNCTION public.releases_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'a published release and its files are immutable';
END;
$function$;

CREATE OR REPLACE FUNCTION public.releases_file_needs_pending()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    current_status varchar;
BEGIN
    SELECT status INTO current_status FROM releases_release
        WHERE id = NEW.release_id FOR SHARE;
    IF current_status IS DISTINCT FROM 'pending' THEN
        RAISE EXCEPTION USING MESSAGE = 'release ' || NEW.release_id
            || ': files are added only while it is pending (it is '
            || coalesce(current_status, 'missing') || ')';
    END IF;
    RETURN NEW;
END;
$function$;
"""


class Migration(migrations.Migration):
    dependencies = [("releases", "0003_no_truncate")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
