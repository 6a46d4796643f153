"""The access trail can be written by its watch triggers only, and names renamed roles.

Before, the application role held INSERT on ``audit_accesschange`` and a guard refused an
INSERT not made inside some trigger: a trigger of the role's own, on a temporary table,
passed it, and wrote whatever history it liked.  Now:

- ``audit_record_access_change()`` runs as its owner (SECURITY DEFINER, a fixed
  search_path) and refuses to run for a table outside the public schema, and the
  application role holds neither INSERT on the trail nor EXECUTE on the function
  (``audit.db_roles``: no trigger function of the schema may be attached by it to a
  table of its own).  A function run as its owner sees the owner as ``current_user``:
  the role recorded is the session's login (``session_user``), in both columns.
- ``auth_group`` is watched too (a role renamed is a change of who may do what).
  ``auth_permission`` and ``django_content_type``, through which every permission is
  resolved, take no UPDATE or DELETE from the application role (``audit.db_roles``).
"""

from django.db import migrations

RECORD = """
CREATE OR REPLACE FUNCTION audit_record_access_change() RETURNS trigger
SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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
$$ LANGUAGE plpgsql;
REVOKE EXECUTE ON FUNCTION audit_record_access_change() FROM PUBLIC;

CREATE TRIGGER audit_access_change AFTER INSERT OR DELETE ON auth_group
    FOR EACH ROW EXECUTE FUNCTION audit_record_access_change();
CREATE TRIGGER audit_access_change_update AFTER UPDATE ON auth_group
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION audit_record_access_change();
CREATE TRIGGER audit_access_no_truncate BEFORE TRUNCATE ON auth_group
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_unrecorded_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_access_no_truncate ON auth_group;
DROP TRIGGER IF EXISTS audit_access_change_update ON auth_group;
DROP TRIGGER IF EXISTS audit_access_change ON auth_group;
CREATE OR REPLACE FUNCTION audit_record_access_change() RETURNS trigger
SECURITY INVOKER AS $$
DECLARE
    before_row jsonb;
    after_row jsonb;
BEGIN
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
    VALUES (now(), current_user, session_user, TG_TABLE_NAME, TG_OP, before_row, after_row,
            pg_current_xact_id()::text::bigint);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
GRANT EXECUTE ON FUNCTION audit_record_access_change() TO PUBLIC;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_access_change_triggers")]
    operations = [migrations.RunSQL(RECORD, BACKWARD)]
