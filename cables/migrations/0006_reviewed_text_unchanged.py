"""The imported text and its markings are never changed after import, whoever holds
the privilege.

Decisions are taken on a paragraph's text at its level, and who may read a cable's
subject and raw text follows the cable's levels: rewriting them after a decision would
leave the decision standing on other text, and lowering them would open them to readers
no grant or clearance was given for.  The application role holds no UPDATE on
``cables_paragraph`` and on ``cables_cable`` only on the declassification status it
recomputes (``audit.db_roles``); these triggers refuse the same to any role but the
tables' owner (a migration) and a superuser, should a broader GRANT ever be given.

The cable's trigger fires only for an UPDATE that names one of its columns, so the
declassification status's bulk updates (``cables.declass_store``) do not pay for it.
"""

from django.db import migrations

CABLE_COLUMNS = (
    "reference_id", "dtg", "sent_at", "origin", "originator", "precedence",
    "to_addressees", "info_addressees", "level", "controls", "banner", "captions",
    "executive_order", "decl", "classified_by", "reasons", "tags", "subject",
    "subject_level", "subject_controls", "references", "section_count", "signature",
    "source_format", "source_name", "parse_warnings", "from_metadata", "raw_text",
    "sha256", "imported_at",
)  # fmt: skip

FORWARD = f"""
CREATE FUNCTION public.cables_refuse_text_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF pg_has_role(current_user,
                   (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID),
                   'MEMBER') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% %: the imported text and its markings are never changed',
        TG_TABLE_NAME, OLD.id;
END;
$$;
REVOKE EXECUTE ON FUNCTION public.cables_refuse_text_change() FROM PUBLIC;
CREATE TRIGGER cables_paragraph_unchanged BEFORE UPDATE ON public.cables_paragraph
    FOR EACH ROW EXECUTE FUNCTION public.cables_refuse_text_change();
CREATE TRIGGER cables_cable_unchanged
    BEFORE UPDATE OF {", ".join(f'"{c}"' for c in CABLE_COLUMNS)} ON public.cables_cable
    FOR EACH ROW EXECUTE FUNCTION public.cables_refuse_text_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS cables_cable_unchanged ON public.cables_cable;
DROP TRIGGER IF EXISTS cables_paragraph_unchanged ON public.cables_paragraph;
DROP FUNCTION IF EXISTS public.cables_refuse_text_change();
"""


class Migration(migrations.Migration):
    dependencies = [("cables", "0005_paragraph_id_cable_unique")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
