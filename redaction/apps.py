from django.apps import AppConfig


class RedactionConfig(AppConfig):
    """Redaction rules, the matcher that runs them, and the proposals they make."""

    name = "redaction"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cables.signals import cables_stored
        from redaction.receivers import apply_rules_to_stored_cables

        cables_stored.connect(apply_rules_to_stored_cables, dispatch_uid="redaction.apply_rules")
