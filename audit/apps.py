from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail every other app writes to: append-only and chained by hash."""

    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"
