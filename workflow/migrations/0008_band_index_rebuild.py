"""The near-duplicate index's rebuild (cables.similarity.store.index_rebuild) empties
cables_paragraphband and reloads it with its primary key and index dropped: that takes
the table's owner, and CREATE on the schema, which the application role does not have
(audit/db_roles.py).  These two functions, owned by the tables' owner and run with its
rights (SECURITY DEFINER, fixed search_path), do exactly that for that one table and
nothing else.  Keep them in step with cables.models.ParagraphBand.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION cables_band_index_empty() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pk name;
BEGIN
    TRUNCATE public.cables_paragraphband;
    SELECT conname INTO pk FROM pg_constraint
        WHERE conrelid = 'public.cables_paragraphband'::regclass AND contype = 'p';
    IF pk IS NOT NULL THEN
        EXECUTE format('ALTER TABLE public.cables_paragraphband DROP CONSTRAINT %I', pk);
    END IF;
    DROP INDEX IF EXISTS public.paragraphband_cable_idx;
END;
$$;

CREATE FUNCTION cables_band_index_build() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET maintenance_work_mem = '256MB' AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conrelid = 'public.cables_paragraphband'::regclass AND contype = 'p') THEN
        ALTER TABLE public.cables_paragraphband
            ADD CONSTRAINT cables_paragraphband_pkey PRIMARY KEY (key, paragraph_id);
    END IF;
    CREATE INDEX IF NOT EXISTS paragraphband_cable_idx ON public.cables_paragraphband (cable_id);
    ANALYZE public.cables_paragraphband;
END;
$$;

REVOKE ALL ON FUNCTION cables_band_index_empty() FROM PUBLIC;
REVOKE ALL ON FUNCTION cables_band_index_build() FROM PUBLIC;
"""
BACKWARD = """
DROP FUNCTION IF EXISTS cables_band_index_build();
DROP FUNCTION IF EXISTS cables_band_index_empty();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0007_decisions_append_only"),
        ("cables", "0002_storage"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
