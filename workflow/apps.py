from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """Review workflow: redaction rules, decisions, permissions and releases."""

    name = "workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from workflow.permissions import forget_permission_ids

        post_migrate.connect(forget_permission_ids, dispatch_uid="workflow.forget_permission_ids")
