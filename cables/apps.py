from django.apps import AppConfig


class CablesConfig(AppConfig):
    """Cables, their header fields and paragraphs, and how they get in."""

    name = "cables"
    default_auto_field = "django.db.models.BigAutoField"
