"""What an import tells the person who ran it (the admin's upload, the API's import).

``cables_import`` sorts a file whose reference id is already stored by the sha256 of
its raw text: *unchanged* (the same text, line endings and a BOM aside) or a
*conflict* (other text).  That answer
is an equality test on the stored raw text, which holds every paragraph and the
subject: told to someone who may not read all of it, it confirms or refutes a guess
at a hidden word, one upload at a time.  So it is told only to whoever may read the
stored cable's raw text; to anyone else both are one answer, *already stored* (the
stored cable kept as it was), which says nothing of equality.

Who may read what is the workflow's to say, above this app: the caller passes
``raw_text_readable``, the ids of the stored cables (of a queryset) whose raw text the
person may read.  Without it nothing is readable (default deny).  A cable this same
import stored (a file given twice) is compared with the person's own file, so its
answer is told as it is.

Nothing here changes what is stored: a conflict never overwrites the stored cable,
whichever answer is told.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from django.db.models import QuerySet

from cables.ingest import ImportReport
from cables.models import Cable

RawTextReadable = Callable[[QuerySet[Cable]], Collection[int]]


@dataclass(frozen=True, slots=True)
class ImportAnswer:
    """An import report as one person may be told it."""

    imported: int
    unchanged: int  # same text as a stored cable whose raw text they may read
    paragraphs: int
    conflicts: list[dict[str, str]]  # other text than a stored cable they may read
    failed: list[dict[str, str]]
    imported_ids: list[int]
    # Reference ids stored on cables whose raw text they may not read, unchanged and
    # conflicts alike (source, reference_id, error), in the order of the file names.
    already_stored: list[dict[str, str]] = field(default_factory=list)


def import_answer(report: ImportReport, raw_text_readable: RawTextReadable | None) -> ImportAnswer:
    """The report, with unchanged and conflicting files told apart only where the
    person may read the stored cable's raw text (one query, plus the caller's)."""
    clashes = [*report.unchanged_items, *report.conflicts]
    refs = {item["reference_id"] for item in clashes}
    stored = Cable.objects.filter(reference_id__in=refs).exclude(pk__in=report.imported_ids)
    rows = list(stored.values_list("pk", "reference_id")) if refs else []
    readable = set(raw_text_readable(stored)) if rows and raw_text_readable else set()
    hidden = {ref for pk, ref in rows if pk not in readable}
    already = [
        {
            "source": item["source"],
            "reference_id": item["reference_id"],
            "error": f"{item['source']}: {item['reference_id']} is already stored; "
            "kept the stored cable",
        }
        for item in clashes
        if item["reference_id"] in hidden
    ]
    return ImportAnswer(
        imported=report.imported,
        unchanged=sum(1 for item in report.unchanged_items if item["reference_id"] not in hidden),
        paragraphs=report.paragraphs,
        conflicts=[item for item in report.conflicts if item["reference_id"] not in hidden],
        failed=report.failed,
        imported_ids=report.imported_ids,
        already_stored=sorted(already, key=lambda item: (item["source"], item["reference_id"])),
    )
