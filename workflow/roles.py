"""The service's roles as groups, and the model permissions each one carries.

Object permissions on cables (view, review, release) are granted per cable or
per batch through ``workflow.permissions``; these groups carry what is not
per cable: editing rules, reading the audit trail, running the admin.

Work is handed out by supervisors (and admins): ``workflow.add_assignmentbatch``
lets a user assign and revoke cables in batches (``workflow.assignment``), and
``view_assignmentbatch`` shows every batch and each reviewer's workload.  The
assignee of a review must hold the reviewer role, of a release the release
authority role (``ASSIGNEE_ROLES``).

Separation of duties: the audit trail is read by auditors, not by the admin whose
actions it records (it names every cable, outside the reader's grants too: the admin's
pages name only the cables the admin may view; migration 0015 took it from the admin
group).  Clearances and group membership (who holds which role)
are changed by the security officer alone, never by the admin, and nobody
changes their own (``workflow.permissions.refuse_self_change``); every change
is audited with before and after.
"""

from __future__ import annotations

ROLES: dict[str, list[str]] = {
    "admin": [
        "cables.view_cable", "cables.change_cable", "redaction.add_redactionrule",
        "redaction.change_redactionrule", "redaction.view_redactionrule",
        "workflow.view_sweeprun", "workflow.view_clearance",
    ],
    "rule editor": [
        "redaction.add_redactionrule", "redaction.change_redactionrule",
        "redaction.view_redactionrule", "redaction.view_ruleversion",
        "redaction.view_proposedredaction",
    ],
    "supervisor": [],  # its permissions: ASSIGNMENT_PERMISSIONS below
    "reviewer": [],
    "release authority": [],
    "auditor": ["audit.view_auditevent"],
    "security officer": [
        "workflow.add_clearance", "workflow.change_clearance", "workflow.view_clearance",
        "auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group",
    ],
}  # fmt: skip

# The permissions on assignment batches.  Not in ROLES: migration 0005 creates the
# groups from ROLES as they are now, before the assignment model exists; migration
# 0010 adds these (written out there).
ASSIGNMENT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "admin": [
        "workflow.add_assignmentbatch", "workflow.change_assignmentbatch",
        "workflow.view_assignmentbatch",
    ],
    "supervisor": [
        "workflow.add_assignmentbatch", "workflow.change_assignmentbatch",
        "workflow.view_assignmentbatch",
    ],
}  # fmt: skip


def role_permissions(name: str) -> list[str]:
    """Every model permission the role carries (``ROLES`` and the assignment ones)."""
    return [*ROLES.get(name, []), *ASSIGNMENT_ROLE_PERMISSIONS.get(name, [])]


# The role an assignee must hold for each permission a batch gives (view: any role).
ASSIGNEE_ROLES: dict[str, str] = {"review": "reviewer", "release": "release authority"}
ASSIGN_PERMISSION = "workflow.add_assignmentbatch"
SEE_ALL_BATCHES_PERMISSION = "workflow.view_assignmentbatch"
