from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """Review workflow: redaction rules, decisions, permissions and releases."""

    name = "workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from workflow import security_audit
        from workflow.permissions import forget_permission_ids

        post_migrate.connect(forget_permission_ids, dispatch_uid="workflow.forget_permission_ids")
        # Clearance and group changes made behind workflow.permissions are audited too.
        security_audit.connect()
        pre_migrate.connect(
            security_audit.listen_while_migrating, dispatch_uid="workflow.security_audit.migrating"
        )
        post_migrate.connect(
            security_audit.stop_listening_after_migrating,
            dispatch_uid="workflow.security_audit.migrated",
        )
