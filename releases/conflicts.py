"""What a release authority acknowledges of the conflicts ``workflow.consistency`` finds.

A release is blocked until its authority acknowledges every paragraph it would
publish that another cable withholds or redacts.  The acknowledgement covers the
conflicts shown on the page, identified by a digest: if they change between
showing and approving, the authority has to look again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _number(paragraph: Any) -> str:
    if paragraph is None:
        return ""
    return str(getattr(paragraph, "number", "") or getattr(paragraph, "ordinal", ""))


def conflict_record(conflict: Any) -> dict[str, Any]:
    """What the audit trail keeps of a conflict: where and which decision, never text."""
    decision = getattr(conflict, "other_decision", None)
    other = getattr(conflict, "other_cable", None)
    return {
        "paragraph_id": getattr(getattr(conflict, "paragraph", None), "pk", None),
        "paragraph": _number(getattr(conflict, "paragraph", None)),
        "other_cable": getattr(other, "reference_id", str(other or "")),
        "other_paragraph": _number(getattr(conflict, "other_paragraph", None)),
        "other_decision_id": getattr(decision, "pk", None),
        "other_decision": getattr(decision, "kind", ""),
        "labels": list(getattr(conflict, "labels", ()) or ()),
        "exposed": [list(r) for r in getattr(conflict, "exposed", ()) or ()],
    }


def conflicts_digest(conflicts: list[Any]) -> str:
    records = sorted(
        (conflict_record(c) for c in conflicts), key=lambda r: json.dumps(r, sort_keys=True)
    )
    return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()
