"""A rule's saved versions are never rewritten: the matcher compiles the definition a
version holds, and the proposals name the version they came from.

The application role holds UPDATE on ``changed_by_id`` only (``audit.db_roles``); this
trigger refuses, whoever runs it, any other change, and a ``changed_by_id`` set to
anything but NULL (Django empties it when the user is deleted).  A version is deleted
only with its rule.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION public.redaction_ruleversion_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF (to_jsonb(NEW) - 'changed_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'changed_by_id')
       OR (NEW.changed_by_id IS NOT NULL
           AND NEW.changed_by_id IS DISTINCT FROM OLD.changed_by_id) THEN
        RAISE EXCEPTION 'rule version %: a saved version is never changed; save the rule '
            'to write a new one', OLD.id;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE EXECUTE ON FUNCTION public.redaction_ruleversion_immutable() FROM PUBLIC;
CREATE TRIGGER redaction_ruleversion_immutable BEFORE UPDATE ON public.redaction_ruleversion
    FOR EACH ROW EXECUTE FUNCTION public.redaction_ruleversion_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS redaction_ruleversion_immutable ON public.redaction_ruleversion;
DROP FUNCTION IF EXISTS public.redaction_ruleversion_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("redaction", "0003_rule_job_changed")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
