"""What a release authority acknowledges of the conflicts ``workflow.consistency`` finds.

A release is blocked until its authority acknowledges every paragraph it would
publish that another cable withholds or redacts.  The acknowledgement covers the
conflicts shown on the page, identified by a digest: if they change between
showing and approving, the authority has to look again.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.crypto import salted_hmac

from workflow.consistency import Conflict


def _number(paragraph: Any) -> str:
    return str(paragraph.number or paragraph.ordinal)


def conflict_record(conflict: Conflict) -> dict[str, Any]:
    """What the audit trail keeps of a conflict: where and which decision, never text."""
    return {
        "paragraph_id": conflict.paragraph.pk,
        "paragraph": _number(conflict.paragraph),
        "other_cable": conflict.other_cable.reference_id,
        "other_paragraph": _number(conflict.other_paragraph),
        "other_decision_id": conflict.other_decision.pk,
        "other_decision": conflict.other_decision.kind,
        "labels": list(conflict.labels),
        "exposed": [list(r) for r in conflict.exposed],
    }


# The digest's key: the server's (SECRET_KEY), salted for this use alone.
_DIGEST_SALT = "declass.releases.conflicts_digest"


def conflicts_digest(conflicts: list[Conflict]) -> str:
    """What the approval form carries to say which conflicts its authority saw: keyed with
    the server's secret, because the records name the other cables, and the page names
    none the authority may not view; a plain hash would confirm a guess at one offline."""
    records = sorted(
        (conflict_record(c) for c in conflicts), key=lambda r: json.dumps(r, sort_keys=True)
    )
    payload = json.dumps(records, sort_keys=True)
    return salted_hmac(_DIGEST_SALT, payload, algorithm="sha256").hexdigest()
