"""The service's roles as groups, and the model permissions each one carries.

Object permissions on cables (view, review, release) are granted per cable or
per batch through ``workflow.permissions``; these groups carry what is not
per cable: editing rules, reading the audit trail, running the admin.
"""

from __future__ import annotations

ROLES: dict[str, list[str]] = {
    "admin": [
        "cables.view_cable", "cables.change_cable", "redaction.add_redactionrule",
        "redaction.change_redactionrule", "redaction.view_redactionrule",
        "audit.view_auditevent", "workflow.view_sweeprun", "workflow.change_clearance",
        "workflow.add_clearance", "workflow.view_clearance",
    ],
    "rule editor": [
        "redaction.add_redactionrule", "redaction.change_redactionrule",
        "redaction.view_redactionrule", "redaction.view_ruleversion",
        "redaction.view_proposedredaction",
    ],
    "reviewer": [],
    "release authority": [],
    "auditor": ["audit.view_auditevent"],
}  # fmt: skip
