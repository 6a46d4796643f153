"""The database records every change of who may read what in ``audit_accesschange``.

The signals of workflow/security_audit.py see changes made through the ORM's
``save()``, ``delete()`` and related managers; ``QuerySet.update()``, bulk
deletes and raw SQL send none.  These triggers see every row, whoever writes it:

- after each INSERT, DELETE, and UPDATE that changes something, on the tables that
  decide access, one row with the role (``current_user``, ``session_user``), the
  table, the operation, the row before and after as jsonb, and the transaction id;
- ``auth_user``: only inserts, deletes and changes of ``is_superuser``,
  ``is_staff`` or ``is_active`` (a login's ``last_login`` or a new password is no
  change of access), and never the password hash;
- TRUNCATE, which fires no row trigger, is refused on those tables (whoever holds
  the privilege: the application role holds none; the test suite's flush empties
  them in replica mode, as it does the record tables);
- ``audit_accesschange`` itself takes rows from these triggers only (an INSERT
  not made inside a trigger is refused), and is append-only and never truncated.

The tables are written out here, not read from ``audit.models.ACCESS_TABLES``, so
that this migration does the same thing whatever that list becomes later.
The trail is qualified with its schema: a temporary table of the same name, which
the application role may create, would otherwise come first on the search path.
"""

from django.db import migrations

WATCHED = (
    "auth_group_permissions",
    "auth_user_groups",
    "auth_user_user_permissions",
    "guardian_groupobjectpermission",
    "guardian_userobjectpermission",
    "workflow_cablegroupobjectpermission",
    "workflow_cableuserobjectpermission",
    "workflow_clearance",
)
USER_FLAGS = ("is_superuser", "is_staff", "is_active")

FUNCTIONS = """
CREATE FUNCTION audit_record_access_change() RETURNS trigger AS $$
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

CREATE FUNCTION audit_access_change_by_trigger_only() RETURNS trigger AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'audit_accesschange is written by the database''s triggers only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION audit_refuse_unrecorded_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: access changes are recorded row by row, TRUNCATE would leave no trace',
        TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_accesschange_by_trigger_only BEFORE INSERT ON audit_accesschange
    FOR EACH ROW EXECUTE FUNCTION audit_access_change_by_trigger_only();
CREATE TRIGGER audit_accesschange_no_update BEFORE UPDATE OR DELETE ON audit_accesschange
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_accesschange_no_truncate BEFORE TRUNCATE ON audit_accesschange
    FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
"""


def _watch(table: str, update_when: str) -> str:
    return f"""
CREATE TRIGGER audit_access_change AFTER INSERT OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION audit_record_access_change();
CREATE TRIGGER audit_access_change_update AFTER UPDATE ON {table}
    FOR EACH ROW WHEN ({update_when}) EXECUTE FUNCTION audit_record_access_change();
CREATE TRIGGER audit_access_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_unrecorded_truncate();
"""


def _unwatch(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS audit_access_no_truncate ON {table};
DROP TRIGGER IF EXISTS audit_access_change_update ON {table};
DROP TRIGGER IF EXISTS audit_access_change ON {table};
"""


FORWARD = (
    FUNCTIONS
    + "".join(_watch(table, "OLD.* IS DISTINCT FROM NEW.*") for table in WATCHED)
    + _watch(
        "auth_user",
        " OR ".join(f"OLD.{flag} IS DISTINCT FROM NEW.{flag}" for flag in USER_FLAGS),
    )
)
BACKWARD = (
    "".join(_unwatch(table) for table in (*WATCHED, "auth_user"))
    + """
DROP TRIGGER IF EXISTS audit_accesschange_no_truncate ON audit_accesschange;
DROP TRIGGER IF EXISTS audit_accesschange_no_update ON audit_accesschange;
DROP TRIGGER IF EXISTS audit_accesschange_by_trigger_only ON audit_accesschange;
DROP FUNCTION IF EXISTS audit_refuse_unrecorded_truncate();
DROP FUNCTION IF EXISTS audit_access_change_by_trigger_only();
DROP FUNCTION IF EXISTS audit_record_access_change();
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_access_change"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("guardian", "0001_initial"),
        ("workflow", "0001_initial"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
