"""What a user may read: the one place that says so.

A user reads a paragraph only when both hold:

- they may view its cable: a view, review or release grant on it, held directly
  or through a group (``workflow.permissions``); and
- their clearance (``workflow.models.Clearance``; none means UNCLASSIFIED) is at
  least the paragraph's level.

A cable's raw text holds every paragraph (and the header), so it is readable
only by whoever may view the cable and is cleared for the cable's level and for
every one of its paragraphs.

A cable's subject line is a portion like a paragraph: the user reads it when they
may view the cable and are cleared for the subject's level, its own portion mark
or, unmarked, the cable's level (rules, section 2.2: an unmarked portion of a
classified cable is never presumed unclassified).  ``subject_level`` says which
level, ``subject_for`` and ``readable_subject`` (in SQL) what the user sees of it:
every page, admin view and API answer that shows a subject asks one of them.

A cable's TAGS go with its subject: they repeat the subject's words often enough (an
operation's codename, "PREL BLUEHERON"), so whoever may not read the subject reads
neither the tags nor anything a tag filter says about them.  ``may_read_tags`` and
``tags_for`` say it for one cable, ``tags_readable`` (in the ORM) and
``tags_readable_sql`` (in hand-written SQL) for many, and ``tagged`` is the one tag filter
every queue, list, count and suggestion uses: a cable whose tags the user may not read
is never selected, counted or ordered by them.

A cable's REF lines go with the subject too, for the same reason (a REF line names the
referenced cable by its subject, often this one's): ``references_for``.

A note a person wrote (why a cable was returned for rework, why a paragraph was decided
so) may quote any portion: ``notes_readable`` says whose notes a user reads, the way the
raw text is read; the audit trail's pages and export show the others' notes as withheld,
and the API sends them as null.  What is read from the raw text (the signer's name) goes
by the raw text's rule too (``raw_text_readable_when_authorised``), and so do the parser's
warnings, which quote it (``parse_warnings_for``: cut to their codes for anyone else).
Pages whose cable ids come from an index that may lag behind the grants (the queue's) ask
the grants again in their own statement (``readable_cables_sql``).

Default deny: anonymous and inactive users read nothing; superusers read all.
The pages that show cable text ask here, in the query, never by filtering rows
already loaded: the cable page, the admin's cable and proposed-redaction pages,
the review page, the rule dry run, the consistency panel and the API.  Where a
caller has already authorised the cable (its grant checked in the same query),
``cleared`` gives the clearance half of the rule as a condition to add to it.
Pages of the apps below the workflow (``cables``, ``redaction``) cannot import
this: the workflow registers their admin pages (``workflow.cable_admin``) and
hands them the readable paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual

from audit.models import AuditEvent
from audit.trail import note_withheld, query_tag_cables, query_tag_withheld
from cables.models import Cable, Paragraph
from workflow import permissions, rows
from workflow.permissions import VIEW, clearance_level


def _active(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def readable_cables(
    user: object, *codenames: str, queryset: QuerySet[Cable] | None = None
) -> QuerySet[Cable]:
    """The cables (of ``queryset``, by default all) the user may view, or holds any
    of ``codenames`` on, directly or through a group: one query."""
    if queryset is None:
        return permissions.cables_for_user(user, *(codenames or (VIEW,)))
    if not _active(user):
        return queryset.none()
    return permissions.only_permitted(queryset, "pk", user, *(codenames or (VIEW,)))


def readable_paragraphs(
    user: object,
    queryset: QuerySet[Paragraph] | None = None,
    *,
    cables: Iterable[int] | None = None,
) -> QuerySet[Paragraph]:
    """The paragraphs (of ``queryset``, by default all) the user may read: grants and
    clearance both in the query, so that nothing else leaves the database.

    ``cables``: the queryset holds paragraphs of these cables only (one cable's page),
    so the grant check reads the user's grants on them, not all the user's grants.
    """
    paragraphs = Paragraph.objects.all() if queryset is None else queryset
    if not _active(user):
        return paragraphs.none()
    paragraphs = paragraphs.filter(level__lte=clearance_level(user))
    return permissions.only_permitted(paragraphs, "cable_id", user, VIEW, among=cables)


def cleared(user: object, path: str = "") -> Q:
    """The clearance half of the rule as a condition on paragraphs (or on rows that
    reach a paragraph through ``path``, e.g. ``"paragraph__"``), for a query whose
    cables the caller has already authorised: within the user's clearance, and
    nothing at all for anonymous and inactive users."""
    if not _active(user):
        return Q(pk__in=[])
    return Q(**{f"{path}level__lte": clearance_level(user)})


def cleared_paragraphs(user: object, cable: Cable) -> QuerySet[Paragraph]:
    """The paragraphs of a cable the caller has already checked the user may view,
    up to the user's clearance (the grant is checked again, in the same query)."""
    return readable_paragraphs(user, cable.paragraphs.all(), cables=[cable.pk])


def cleared_paragraphs_read(user: object, cable: Cable) -> tuple[list[Paragraph], int | None]:
    """``cleared_paragraphs`` in reading order, and how many paragraphs the cable has
    (None when the user may read none of them), in one statement.

    The same rule as ``readable_paragraphs`` (within the clearance, the grant checked
    again by ``permissions.holds_sql``; nothing for anonymous and inactive users), in a
    statement of fixed shape read by ``workflow.rows``: the review page asks it on every
    view, and building it through the ORM cost more than PostgreSQL's answer.
    """
    paragraphs = rows.reader(Paragraph)
    held, held_params = permissions.holds_sql(user, "p.cable_id", VIEW)
    table = rows.table(Paragraph)
    # Table and column names from the model, the grant condition from
    # workflow.permissions; the cable, the clearance and the grants are bound.
    sql = (
        f"SELECT {paragraphs.select_list('p')},"  # nosec B608
        f" (SELECT COUNT(*) FROM {table} a WHERE a.cable_id = %s)"
        f" FROM {table} p WHERE p.cable_id = %s AND p.level <= %s AND {held}"
        " ORDER BY p.ordinal"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [cable.pk, cable.pk, clearance_level(user), *held_params])
        fetched = cursor.fetchall()
    if not fetched:
        return [], None
    shown = [paragraphs.instance(row) for row in fetched]
    for paragraph in shown:  # as ``cable.paragraphs`` leaves them: ``p.cable`` is this cable
        Paragraph.cable.field.set_cached_value(paragraph, cable)
    return shown, fetched[0][-1]


def paragraphs_hidden(user: object, cable: Cable) -> int:
    """How many paragraphs of a cable the user may view are above their clearance."""
    return permissions.paragraphs_above_clearance(user, cable)


def above_clearance(user: object, cable: Cable, *, to_release: bool = False) -> str:
    """What of a cable the user may view is above their clearance, said for a refusal
    (``"2 paragraph(s)"``, ``"the subject"``, ``"1 paragraph(s) and the subject"``), or
    ``""`` when nothing is.

    Whoever finishes a review, previews, approves or publishes a release vouches for every
    portion of the cable, the subject line included: those moves all ask this, so none of
    them can check the paragraphs and forget the subject.  With ``to_release`` (the
    release's preview, approval and publication) the cable's own level counts too: a
    release prints the header's unmarked lines, the signature among them.
    """
    paragraphs = permissions.paragraphs_above_clearance(user, cable)
    parts = [f"{paragraphs} paragraph(s)"] if paragraphs else []
    if not may_read_subject(user, cable):
        parts.append("the subject")
    if to_release and _active(user) and cable.level > clearance_level(user):
        # The header's unmarked lines (the signature, read from the raw text) are at the
        # cable's level, and a release prints them: its authority vouches for them too.
        # A reviewer decides the portions and the subject only.
        parts.append("the cable's level")
    return " and ".join(parts)


def subject_level(cable: Cable) -> int:
    """The level a cable's subject is handled at: its own portion mark, or (unmarked)
    the cable's level."""
    level = cable.subject_level
    return int(cable.level if level is None else level)


def may_read_subject(user: object, cable: Cable) -> bool:
    """Whether the user, already allowed to view the cable, is cleared for its subject."""
    return _active(user) and clearance_level(user) >= subject_level(cable)


def subject_for(user: object, cable: Cable) -> str | None:
    """The cable's subject as the user may see it (the caller has checked that they
    may view the cable): the subject, or None when it is above their clearance."""
    return cable.subject if may_read_subject(user, cable) else None


def readable_subject(user: object, path: str = "") -> Case:
    """``subject_for`` in SQL, for querysets of cables (or rows that reach a cable
    through ``path``, e.g. ``"cable__"``): the subject, or NULL above the clearance."""
    if not _active(user):
        return Case(default=Value(None), output_field=TextField())
    level = Coalesce(F(f"{path}subject_level"), F(f"{path}level"))
    return Case(
        When(LessThanOrEqual(level, clearance_level(user)), then=F(f"{path}subject")),
        default=Value(None),
        output_field=TextField(),
    )


def readable_subject_sql(user: object, alias: str) -> tuple[str, list[object]]:
    """``readable_subject`` for a hand-written query over cable rows named ``alias``
    (a constant of the caller's SQL): the subject, or NULL above the clearance."""
    if not _active(user):
        return "NULL::text", []
    level = f"COALESCE({alias}.subject_level, {alias}.level)"
    return f"CASE WHEN {level} <= %s THEN {alias}.subject END", [clearance_level(user)]


def may_read_tags(user: object, cable: Cable) -> bool:
    """Whether the user, already allowed to view the cable, reads its TAGS: the tags
    repeat the subject's words, so they are read by whoever reads the subject."""
    return may_read_subject(user, cable)


def tags_for(user: object, cable: Cable) -> list[str] | None:
    """The cable's TAGS as the user may see them (the caller has checked that they may
    view the cable): the tags, or None when they go with a subject above the clearance."""
    return list(cable.tags) if may_read_tags(user, cable) else None


def proposal_rules_for(user: object, cable: Cable, rules: list[list[int]]) -> list[list[int]]:
    """The rules (``[id, version]``) that proposed a redaction on the cable, as the user
    may be told them (the caller has checked that they may view the cable): all, or none
    when the cable's TAGS are above the user's clearance.  A rule may be scoped by TAGS,
    and whoever edits rules reads each one's scope: naming the rule beside a cable would
    tell a reviewer cleared below its subject a tag the cable carries, a codename
    perhaps.  The proposal itself (its span, action and exemption) is shown as before."""
    return rules if may_read_tags(user, cable) else []


def proposal_rules_readable(user: object, path: str = "") -> Q:
    """``proposal_rules_for`` as a condition on rows that reach a cable through ``path``
    (proposals: ``"cable__"``): whether their rules may be shown (with the TAGS)."""
    return tags_readable(user, path)


def references_for(user: object, cable: Cable) -> list[str] | None:
    """The cable's REF lines as the user may see them (the caller has checked that they
    may view the cable): the lines, or None when they go with a subject above the
    clearance.  A REF line names the referenced cable by its subject, in brackets ("A.
    HARBOR 11 (OPERATION BLUEHERON)"), which is often this cable's subject too: so, like
    the TAGS, whoever may not read the subject reads no REF line (``may_read_tags``)."""
    return list(cable.references) if may_read_tags(user, cable) else None


def tags_readable(user: object, path: str = "") -> Q:
    """``may_read_tags`` as a condition on cables (or on rows that reach a cable through
    ``path``, e.g. ``"cable__"``): cleared for the subject's level; nothing at all for
    anonymous and inactive users (a boolean either way, so that it also annotates)."""
    if not _active(user):
        return Q(Value(False))
    level = Coalesce(F(f"{path}subject_level"), F(f"{path}level"))
    return Q(LessThanOrEqual(level, clearance_level(user)))


def tagged(user: object, tag: str, path: str = "") -> Q:
    """The cables (or rows reaching one through ``path``) that carry ``tag`` *and* whose
    tags the user reads: the only tag filter, so that filtering by a tag tells nothing
    of a cable whose subject, and so tags, are above the user's clearance."""
    return Q(**{f"{path}tag_rows__tag": tag.strip().upper()}) & tags_readable(user, path)


def tags_readable_sql(user: object, alias: str) -> tuple[str, list[object]]:
    """``tags_readable`` for a hand-written query over cable rows named ``alias`` (a
    constant of the caller's SQL), as a condition and its parameters."""
    if not _active(user):
        return "FALSE", []
    level = f"COALESCE({alias}.subject_level, {alias}.level)"
    return f"{level} <= %s", [clearance_level(user)]


def readable_cables_sql(
    user: object, alias: str, *codenames: str, among: Iterable[int] | None = None
) -> tuple[str, list[object]]:
    """``readable_cables`` for a hand-written query over cable rows named ``alias`` (a
    constant of the caller's SQL): whether the user may view the cable, or holds any of
    ``codenames`` on it, as a condition and its parameters.  For pages whose cable ids
    come from somewhere that may lag behind the grants (the queue's index); ``among``,
    the page's ids, keeps the check to the grants on them."""
    return permissions.holds_sql(user, f"{alias}.id", *(codenames or (VIEW,)), among=among)


def raw_text_readable(user: object, cables: QuerySet[Cable]) -> set[int]:
    """The ids of ``cables`` whose raw text the user may read (``may_read_raw_text``, for
    many cables in one query): viewable, the cable's level and its subject's within the
    clearance, and no paragraph above it."""
    if not _active(user):
        return set()
    level = clearance_level(user)
    above = Paragraph.objects.filter(cable=OuterRef("pk"), level__gt=level)
    readable = (
        readable_cables(user, queryset=cables.order_by())
        .alias(subject_at=Coalesce(F("subject_level"), F("level")))
        .filter(level__lte=level, subject_at__lte=level)
        .exclude(Exists(above))
    )
    return set(readable.values_list("pk", flat=True))


def raw_text_readable_when_authorised(user: object, cable: Cable, *, hidden: int) -> bool:
    """``may_read_raw_text`` for a cable whose grant the caller has already checked and
    whose paragraphs above the user's clearance it has counted (``hidden``): cleared for
    the cable's level and its subject, and no paragraph hidden.  No query.  What is read
    from the raw text (the signer's name at its end) goes by this too."""
    return (
        _active(user)
        and hidden == 0
        and cable.level <= clearance_level(user)
        and may_read_subject(user, cable)
    )


# A parser warning: its code, a colon, then the particulars ("UNKNOWN_CONTROL: paragraph 2:
# control(s) ... in (S//...) not known; ...", cables.parsing).
_WARNING_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
_WARNING_PARAGRAPH = re.compile(r"paragraph ([^\s:;,()]{1,16}):")


def parse_warnings_for(user: object, cable: Cable, *, hidden: int | None = None) -> list[str]:
    """The parser's warnings on a cable as the user may read them (the caller has checked
    that they may view the cable): whole to whoever may read its raw text
    (``raw_text_readable_when_authorised``), else each cut to its code and the paragraph it
    names ("UNKNOWN_CONTROL: paragraph 2"), nothing quoted.  The particulars are read from
    the raw text, any portion of it: a paragraph's portion mark ("(S//NIGHTJAR)"), the
    classification line, the Classified By line; the code and the paragraph's number say
    only what the page says already, that something there needs a reviewer's eye.

    ``hidden``: how many of its paragraphs are above the user's clearance, where the caller
    has counted them; otherwise counted here (at most one query)."""
    warnings = list(cable.parse_warnings or ())
    if not warnings:
        return []
    whole = raw_text_readable_when_authorised(user, cable, hidden=hidden or 0)
    if whole and hidden is None:  # cleared for the cable and its subject: count the rest
        whole = paragraphs_hidden(user, cable) == 0
    if whole:
        return warnings
    return list(dict.fromkeys(_warning_cut(w) for w in warnings))


def _warning_cut(warning: str) -> str:
    """A warning's code and the paragraph it names, if it names one; a warning of no known
    shape is shown as a bare ``WARNING``."""
    head, _, detail = str(warning).partition(":")
    code = head.strip() if _WARNING_CODE.fullmatch(head.strip()) else "WARNING"
    paragraph = _WARNING_PARAGRAPH.match(detail.strip())
    return f"{code}: paragraph {paragraph.group(1)}" if paragraph else code


def may_read_raw_text(user: object, cable: Cable) -> bool:
    """Whether the user may read the cable's raw text: they may view the cable and are
    cleared for its level and for every one of its paragraphs."""
    if not _active(user):
        return False
    if cable.level > clearance_level(user) or not may_read_subject(user, cable):
        return False
    return (
        permissions.has_cable_perm(user, VIEW, cable)
        and permissions.paragraphs_above_clearance(user, cable) == 0
    )


def notes_readable(user: object, cable_ids: Iterable[int]) -> set[int]:
    """The ids of these cables whose notes the user may read: what a person wrote on a
    move (a return for rework, a review finished), which may quote any portion of the
    cable, read as its raw text is (``raw_text_readable``: viewable, and cleared for the
    cable, its subject and every paragraph).  One query; none for no cable."""
    wanted = {pk for pk in cable_ids if pk is not None}
    if not wanted:
        return set()
    return raw_text_readable(user, Cable.objects.filter(pk__in=wanted))


def notes_readable_when_authorised(user: object, path: str = "") -> ExpressionWrapper:
    """``notes_readable`` in SQL, for a query of cables (or of rows that reach a cable
    through ``path``, e.g. ``"cable__"``) whose grant the caller has already checked in
    the same query: true where the user is cleared for the cable's level, its subject
    and every one of its paragraphs."""
    if not _active(user):
        return ExpressionWrapper(Value(False), output_field=BooleanField())
    level = clearance_level(user)
    subject_at = Coalesce(F(f"{path}subject_level"), F(f"{path}level"))
    above = Paragraph.objects.filter(cable=OuterRef(f"{path}pk"), level__gt=level)
    cleared_for_all = (
        Q(**{f"{path}level__lte": level}) & Q(LessThanOrEqual(subject_at, level)) & ~Exists(above)
    )
    return ExpressionWrapper(cleared_for_all, output_field=BooleanField())


def audit_entries_as_read(
    user: object, events: Iterable[AuditEvent], *, chunk: int = 2000
) -> Iterator[AuditEvent]:
    """The audit trail's entries as the user reads them (its page, its export, the admin's
    entry page): each as written where the user may read its cable's notes
    (``notes_readable``), else with its note withheld (``audit.trail.note_withheld``); and
    the TAGS of a query it records (an assignment's) withheld where it names a cable whose
    tags the user does not read (they go with the subject).  At most two queries per
    ``chunk`` entries, so that a streamed export stays streamed."""
    entries = iter(events)
    while batch := list(islice(entries, chunk)):
        readable = notes_readable(user, {event.cable_id for event in batch})
        tags_hidden = _tags_hidden(user, {pk for e in batch for pk in query_tag_cables(e)})
        for event in batch:
            if event.cable_id not in readable:
                event = note_withheld(event)
            if tags_hidden.intersection(query_tag_cables(event)):
                event = query_tag_withheld(event)
            yield event


def _tags_hidden(user: object, cable_ids: set[int]) -> set[int]:
    """Of these cables, those whose TAGS the user does not read (one query; none for no
    cable)."""
    if not cable_ids:
        return set()
    hidden = Cable.objects.filter(pk__in=cable_ids).exclude(tags_readable(user))
    return set(hidden.values_list("pk", flat=True))
