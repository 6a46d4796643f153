import logging

from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "releases"
    verbose_name = "Releases"

    def ready(self) -> None:
        # WeasyPrint logs every layout step, and fontTools every font-subsetting step,
        # at INFO: a hundred lines per PDF that say nothing about the release.
        logging.getLogger("fontTools").setLevel(logging.WARNING)
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
