from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """Review workflow: redaction rules, decisions, permissions and releases."""

    name = "workflow"
    default_auto_field = "django.db.models.BigAutoField"
