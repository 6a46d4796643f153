"""The service's roles as groups, and the model permissions each one carries.

Object permissions on cables (view, review, release) are granted per cable or
per batch through ``workflow.permissions``; these groups carry what is not
per cable: editing rules, reading the audit trail, running the admin.

Separation of duties: clearances and group membership (who holds which role)
are changed by the security officer alone, never by the admin, and nobody
changes their own (``workflow.permissions.refuse_self_change``); every change
is audited with before and after.
"""

from __future__ import annotations

ROLES: dict[str, list[str]] = {
    "admin": [
        "cables.view_cable", "cables.change_cable", "redaction.add_redactionrule",
        "redaction.change_redactionrule", "redaction.view_redactionrule",
        "audit.view_auditevent", "workflow.view_sweeprun", "workflow.view_clearance",
    ],
    "rule editor": [
        "redaction.add_redactionrule", "redaction.change_redactionrule",
        "redaction.view_redactionrule", "redaction.view_ruleversion",
        "redaction.view_proposedredaction",
    ],
    "reviewer": [],
    "release authority": [],
    "auditor": ["audit.view_auditevent"],
    "security officer": [
        "workflow.add_clearance", "workflow.change_clearance", "workflow.view_clearance",
        "auth.view_user", "auth.change_user", "auth.view_group",
    ],
}  # fmt: skip
