"""The service's roles as groups, and the model permissions each one carries.

Object permissions on cables (view, review, release) are granted per cable or
per batch through ``workflow.permissions``; these groups carry what is not
per cable: editing rules, reading the audit trail, running the admin.
"""

from __future__ import annotations

ROLES: dict[str, list[str]] = {
    "admin": [
        "cables.view_cable", "cables.change_cable", "workflow.add_redactionrule",
        "workflow.change_redactionrule", "workflow.view_redactionrule",
        "workflow.view_auditevent", "workflow.view_sweeprun", "workflow.change_clearance",
        "workflow.add_clearance", "workflow.view_clearance",
    ],
    "rule editor": [
        "workflow.add_redactionrule", "workflow.change_redactionrule",
        "workflow.view_redactionrule", "workflow.view_ruleversion",
        "workflow.view_proposedredaction",
    ],
    "reviewer": [],
    "release authority": [],
    "auditor": ["workflow.view_auditevent"],
}  # fmt: skip
