"""Reads that views need, with their filters and aggregation done in SQL."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cables.markings import Level, Marking
from cables.models import Cable, Paragraph
from cables.similarity import store
from redaction.models import ProposedRedaction
from workflow import access, permissions, reuse, rounds
from workflow.consistency import RELEASING, conflicts_for
from workflow.learning import pipeline
from workflow.learning import service as learning
from workflow.models import CableStatus, Decision, ReviewRound, ReviewState, SuggestionShown
from workflow.occurrences import Occurrences, occurrences_for
from workflow.review import current_decisions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CableFilters:
    """Header filters shared by the queue and the forecast."""

    post: str = ""
    tag: str = ""
    level: int | None = None

    def apply(self, rows: QuerySet, path: str = "", *, reader: object) -> QuerySet:
        """Filter cables, or rows that reach a cable through ``path`` (``"cable__"``).

        ``reader``: whose filter it is, always named.  The tag filter selects only cables
        whose TAGS the reader reads (``workflow.access.tagged``: they go with the subject),
        so that it tells nothing of a cable whose subject is above their clearance.
        """
        if self.post:
            rows = rows.filter(**{f"{path}origin__iexact": self.post})
        if self.tag:
            rows = rows.filter(access.tagged(reader, self.tag, path))
        if self.level is not None:
            rows = rows.filter(**{f"{path}level": self.level})
        return rows


@dataclass(frozen=True)
class ForecastMonth:
    month: date
    count: int


@dataclass(frozen=True)
class Forecast:
    overdue: int  # dated before this month and not yet released
    months: list[ForecastMonth]

    @property
    def peak(self) -> int:
        return max((m.count for m in self.months), default=0)

    @property
    def total(self) -> int:
        return sum(m.count for m in self.months)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def declass_forecast(*, cables: QuerySet[Cable], today: date, months: int = 24) -> Forecast:
    """How many cables come due in each of the next ``months`` months (two queries)."""
    first = today.replace(day=1)
    end = _add_months(first, months)
    pending = CableStatus.objects.filter(cable__in=cables).exclude(
        review_state=ReviewState.RELEASED
    )
    rows = (
        pending.filter(declass_date__gte=first, declass_date__lt=end)
        .annotate(month=TruncMonth("declass_date"))
        .values("month")
        .annotate(n=Count("cable_id"))
        .order_by()
    )
    counts = {(r["month"].year, r["month"].month): r["n"] for r in rows}
    series = []
    for i in range(months):
        month = _add_months(first, i)
        series.append(ForecastMonth(month, counts.get((month.year, month.month), 0)))
    overdue = pending.filter(declass_date__lt=first).count()
    return Forecast(overdue=overdue, months=series)


def posts_for(cables: QuerySet[Cable]) -> list[str]:
    return list(
        cables.exclude(origin="").order_by("origin").values_list("origin", flat=True).distinct()
    )


# -- review queue and review page ---------------------------------------------------------

QUEUE_STATES = (ReviewState.DUE, ReviewState.IN_REVIEW, ReviewState.RETURNED,
                ReviewState.REVIEWED, ReviewState.APPROVED, ReviewState.INGESTED)  # fmt: skip


def review_queue(*, user: object, filters: CableFilters, state: str = "") -> QuerySet[CableStatus]:
    """Status rows of the cables the user may review or release, waiting for someone,
    due soonest first.

    Ordered and counted on the narrow status table, driven by the user's
    permission rows: the database probes the status (and, for header filters,
    the cable) of each cable the user holds, so the cost follows the size of the
    user's queue, not the number of cables in the archive.  The wide cable rows
    are read only for the page shown (``queue_cables``).
    """

    states = [state] if state in QUEUE_STATES else list(QUEUE_STATES)
    waiting = Q(review_state__in=states)
    if not state:  # a released cable with an open re-review round waits too
        waiting |= Q(review_state=ReviewState.RELEASED) & Exists(
            ReviewRound.objects.filter(cable_id=OuterRef("cable_id"), closed_at__isnull=True)
        )
    statuses = permissions.only_permitted(
        CableStatus.objects.filter(waiting),
        "cable_id", user, permissions.REVIEW, permissions.RELEASE,
    )  # fmt: skip
    return filters.apply(statuses, "cable__", reader=user).order_by(
        F("declass_date").asc(nulls_last=True), "cable_id"
    )


# PostgreSQL's OFFSET is a bigint: a larger one is an error, not an empty page.
MAX_OFFSET = 2**63 - 1


def queue_page(
    *, user: object, filters: CableFilters, state: str, offset: int, limit: int
) -> tuple[list[int], int]:
    """One page of the user's review queue (cable ids, due soonest first) and its
    length, in one query.

    On PostgreSQL, for the waiting cables in any state, this reads the queue's
    index (``QueueEntry``): the user's rows and their groups', in date order.
    A filter on one state, superusers and other databases read the status table
    (``review_queue``), which gives the same answer at a cost that grows with the
    number of cables the user holds.  An offset past any possible queue finds no ids.
    """
    if not 0 <= offset <= MAX_OFFSET:
        _, total = queue_page(user=user, filters=filters, state=state, offset=0, limit=1)
        return [], total
    if _queue_index_serves(user, state):
        return _queue_index_page(user, filters, offset=offset, limit=limit)
    statuses = review_queue(user=user, filters=filters, state=state)
    return queue_slice(statuses, offset=offset, limit=limit)


def _queue_index_serves(user: object, state: str) -> bool:
    return (
        state not in QUEUE_STATES
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and not getattr(user, "is_superuser", False)
    )


def _queue_filter_sql(filters: CableFilters, alias: str, user: object) -> tuple[str, list[object]]:
    """The header filters as conditions on queue index rows named ``alias``; the tag
    filter only over cables whose TAGS the user reads (``access.tags_readable_sql``)."""
    conditions: list[str] = []
    params: list[object] = []
    if filters.post:
        conditions.append(f"AND {alias}.origin_key = UPPER(%s)")
        params.append(filters.post)
    if filters.level is not None:
        conditions.append(f"AND {alias}.level = %s")
        params.append(filters.level)
    if filters.tag:
        readable, readable_params = access.tags_readable_sql(user, "tc")
        # ``alias`` is one of this module's own table aliases; the readability condition
        # comes from workflow.access with its values bound; the tag is bound.
        conditions.append(
            "AND EXISTS (SELECT 1 FROM cables_cabletag t"  # nosec B608
            " JOIN cables_cable tc ON tc.id = t.cable_id"
            f" WHERE t.cable_id = {alias}.cable_id AND t.tag = %s AND {readable})"
        )
        params += [filters.tag.upper(), *readable_params]
    return " ".join(conditions), params


def _queue_index_page(
    user: object, filters: CableFilters, *, offset: int, limit: int
) -> tuple[list[int], int]:
    """One page of the queue index and the queue's length, in one statement.

    The user's own rows and their groups' rows are read as two branches of a
    ``UNION ALL``, each in the order of ``queueentry_page_idx`` (an ``OR`` over the
    two holder kinds made the planner read and sort the whole queue); the merge
    stops after the page.  A cable held both directly and through a group is one
    row (``GROUP BY`` over the merged order).  The length is counted once, with no
    sort: the user's rows, plus the groups' cables the user does not hold directly,
    from the same index (index-only: about 0.7 ms for 5,000 entries).
    """
    user_id = user.pk  # type: ignore[attr-defined]
    where, params = _queue_filter_sql(filters, "q", user)
    other, other_params = _queue_filter_sql(filters, "o", user)
    # ``q`` filtered as the page is: conditions built above from constants, every
    # value a bound parameter.
    mine = f"q.holder_kind = 'u' AND q.holder_id = %s AND q.open {where}"
    groups = (
        "q.holder_kind = 'g' AND q.holder_id IN"  # nosec B608
        f" (SELECT group_id FROM auth_user_groups WHERE user_id = %s) AND q.open {where}"
    )
    sql = f"""
        SELECT e.cable_id, (
            SELECT (SELECT COUNT(*) FROM workflow_queueentry q WHERE {mine})
                 + (SELECT COUNT(DISTINCT q.cable_id) FROM workflow_queueentry q
                    WHERE {groups} AND NOT EXISTS (
                        SELECT 1 FROM workflow_queueentry o
                        WHERE o.holder_kind = 'u' AND o.holder_id = %s
                          AND o.cable_id = q.cable_id AND o.open {other}))
        )
        FROM (
            (SELECT q.cable_id, q.declass_date FROM workflow_queueentry q WHERE {mine}
             ORDER BY q.declass_date, q.cable_id)
            UNION ALL
            (SELECT q.cable_id, q.declass_date FROM workflow_queueentry q WHERE {groups}
             ORDER BY q.declass_date, q.cable_id)
        ) e
        GROUP BY e.declass_date, e.cable_id
        ORDER BY e.declass_date NULLS LAST, e.cable_id
        LIMIT %s OFFSET %s
    """  # nosec B608
    args = [user_id, *params, user_id, *params, user_id, *other_params]  # the count
    args += [user_id, *params, user_id, *params, limit, offset]  # the page
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    if rows:
        return [cable_id for cable_id, _ in rows], rows[0][1]
    if offset == 0:
        return [], 0
    _, total = _queue_index_page(user, filters, offset=0, limit=1)
    return [], total


def queue_slice(
    statuses: QuerySet[CableStatus], *, offset: int, limit: int
) -> tuple[list[int], int]:
    """One page of cable ids and the total, in one query (COUNT(*) OVER ()): the
    database finds the queue once instead of once to count and once to page."""
    rows = list(
        statuses.annotate(total=Window(Count("cable_id"))).values_list("cable_id", "total")[
            offset : offset + limit
        ]
    )
    if rows:
        return [cable_id for cable_id, _ in rows], rows[0][1]
    return [], statuses.count()


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What the queue shows of one cable: plain values, no model instances (the
    page builds 50 of them on every request)."""

    pk: int
    reference_id: str
    level: int
    controls: tuple[str, ...]
    origin: str
    subject: str | None  # None: above the user's clearance (workflow.access)
    review_state: str
    declass_date: date | None
    flags: tuple[str, ...] = ()  # the declassification engine's routing flags (F_FGI...)
    # The open re-review round, as the row shows it (workflow.rounds.queue_marks): "".
    rereview: str = ""
    # Whether the user reviews the cable (the queue links it to the review page) or only
    # releases it (to the cable page).
    reviews: bool = False

    @property
    def classification(self) -> Marking:
        return Marking(Level(self.level), self.controls)


def queue_cables(ids: list[int], *, user: object) -> list[QueueRow]:
    """The page's cables, in the queue's order, with the few fields the queue shows,
    their open re-review round and whether the user reviews them (or only releases
    them), in one statement; a subject above the user's clearance
    never leaves the database (``workflow.access.readable_subject_sql``), nor does any
    cable the user no longer reviews or releases (``readable_cables_sql``).

    Written out: the ORM took longer to build these two queries (this and the rounds')
    than the database to answer them, on every queue page.
    """
    if not ids:
        return []
    subject, subject_params = access.readable_subject_sql(user, "c")
    # The ids come from the queue's index, which may keep a row a moment after its grant
    # went (workflow.queue_index): the grant is asked again, in the same statement.
    held, held_params = access.readable_cables_sql(
        user, "c", permissions.REVIEW, permissions.RELEASE, among=ids
    )
    reviews, reviews_params = access.readable_cables_sql(user, "c", permissions.REVIEW, among=ids)
    # Column and table names are constants; the subject and grant expressions come from
    # workflow.access with their values bound; the ids are bound.
    sql = f"""
        SELECT c.id, c.reference_id, c.level,
               ARRAY(SELECT jsonb_array_elements_text(c.controls)), c.origin, {subject},
               s.review_state, s.declass_date,
               ARRAY(SELECT jsonb_array_elements_text(COALESCE(c.declass_flags, '[]'))),
               r.number, r.declass_date, r.handled_date, r.exemption, r.rule,
               r.withdrawn_release_id, {reviews}
        FROM cables_cable c
        LEFT JOIN workflow_cablestatus s ON s.cable_id = c.id
        LEFT JOIN workflow_reviewround r ON r.cable_id = c.id AND r.closed_at IS NULL
        WHERE c.id = ANY(%s) AND {held}
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*subject_params, *reviews_params, list(ids), *held_params])
        by_id = {row[0]: row for row in cursor.fetchall()}
    open_rounds = {pk: _round_of(row) for pk, row in by_id.items()}
    rows = [_queue_row(by_id[i], open_rounds[i]) for i in ids if i in by_id]
    # A round that withdraws a release names the cable withholding its text, to a user
    # who may read what that cable withholds (workflow.rounds.queue_marks: two queries
    # more, only when such a round is on the page).
    withdrawing = [pk for pk, found in open_rounds.items() if found and found.withdraws]
    if withdrawing:
        named = rounds.queue_marks(withdrawing, user)
        rows = [replace(r, rereview=named.get(r.pk, r.rereview)) for r in rows]
    return rows


def _round_of(row: tuple) -> ReviewRound | None:
    """The open round of a ``queue_cables`` row, with the fields its reason reads."""
    number, due, handled, exemption, rule, withdrawn = row[9:15]
    if number is None:
        return None
    return ReviewRound(
        number=number, declass_date=due, handled_date=handled, exemption=exemption, rule=rule,
        withdrawn_release_id=withdrawn,
    )  # fmt: skip


def _queue_row(row: tuple, found: ReviewRound | None) -> QueueRow:
    pk, ref, level, controls, origin, shown, state, when, flags = row[:9]
    # The round's reason in the model's words (ReviewRound.reason: the withholding
    # cable unnamed), as workflow.rounds.queue_marks shows it.
    mark = f"re-review, round {found.number}: {found.reason}" if found is not None else ""
    return QueueRow(
        pk, ref, level, tuple(controls), origin, shown, state, when, tuple(flags), mark,
        reviews=row[15],
    )  # fmt: skip


# The open re-review round's number of one cable (NULL: none open), as a scalar subquery
# for the page that reads the cable (the review page: "re-review, round N"), with the
# cable's id bound.  The same condition as workflow.rounds.open_round and queue_cables'
# join; written out because the ORM's correlated Subquery (workflow.rounds.
# open_round_number) took about 0.4 ms to build and compile on every review page.
_OPEN_ROUND_SQL = (
    "SELECT number FROM workflow_reviewround WHERE cable_id = %s AND closed_at IS NULL LIMIT 1"
)


def open_round_number_of(cable_id: int) -> RawSQL:
    """The cable's open round number, to annotate a query of that cable with."""
    # A constant statement; the cable's id is bound.
    return RawSQL(_OPEN_ROUND_SQL, [cable_id], output_field=IntegerField())  # nosec B611


# Whether the cable's subject has any decision, as a scalar subquery for the review page's
# cable query (the cable's id bound): the subject portion then reads the current decision
# (workflow.subject.current, about 0.6 ms of ORM) only when there is one to read.
_SUBJECT_DECIDED_SQL = "EXISTS (SELECT 1 FROM workflow_subjectdecision WHERE cable_id = %s)"


def subject_decided_of(cable_id: int) -> RawSQL:
    """Whether the cable's subject has been decided, to annotate a query of that cable
    with (``subject_decided``: read by templatetags.subject_portion)."""
    # A constant statement; the cable's id is bound.
    return RawSQL(_SUBJECT_DECIDED_SQL, [cable_id], output_field=BooleanField())  # nosec B611


@dataclass(frozen=True)
class Segment:
    """A run of paragraph text, marked or not (rendered as-is, never as HTML)."""

    text: str
    kind: str = ""  # "" | "proposed" | "redacted"
    title: str = ""


@dataclass
class ParagraphView:
    paragraph: Paragraph
    segments: list[Segment]
    decision: Decision | None
    proposals: list[ProposedRedaction]


def segments_for(text: str, marks: list[tuple[int, int, str, str]]) -> list[Segment]:
    """Cut the text at mark boundaries; where marks overlap, "redacted" wins."""
    cuts = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    out: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in marks if m[0] <= start and end <= m[1]]
        kind = (
            "redacted"
            if any(m[2] == "redacted" for m in covering)
            else ("proposed" if covering else "")
        )
        title = "; ".join(dict.fromkeys(m[3] for m in covering))
        out.append(Segment(text[start:end], kind, title))
    return out


def _marks(
    paragraph: Paragraph, decision: Decision | None, proposals: list[ProposedRedaction]
) -> list[tuple[int, int, str, str]]:
    marks = [
        (
            p.start,
            p.end,
            "proposed",
            f"proposed: {p.get_action_display().lower()} {', '.join(p.labels)}"
            + (f" (rule {', '.join(f'{r[0]} v{r[1]}' for r in p.rules)})" if p.rules else ""),
        )
        for p in proposals
        if p.action != "withhold"
    ]
    if decision and decision.kind == Decision.Kind.REDACT:
        marks += [
            (s["start"], s["end"], "redacted", f"redacted {s['label']}") for s in decision.spans
        ]
    return marks


@dataclass
class ReviewPage:
    cable: Cable
    paragraphs: list[ParagraphView]
    hidden: int  # paragraphs above the user's clearance: never sent, count as withheld
    # The subject as the user may see it (workflow.access.subject_for): None above
    # their clearance.
    subject: str | None = None
    # The TAGS as the user may see them (workflow.access.tags_for): None where they go
    # with a subject above their clearance.
    tags: list[str] | None = None
    # Near-duplicate text another cable withholds (workflow.consistency), when asked for.
    conflicts: list | None = None
    # Other places the cable shows a redaction's words (workflow.occurrences).
    occurrences: list[Occurrences] = field(default_factory=list)
    # What the page pre-fills for undecided paragraphs (decide once), when asked for.
    suggestions: Suggestions | None = None

    @property
    def decided(self) -> int:
        return sum(1 for p in self.paragraphs if p.decision)


# The rules' proposals on the page's paragraphs, each paragraph's in order of start.
# Written out: the model's default ordering (cable, then paragraph, each by its own
# ordering) made the ORM join the cable twice and the paragraph once to sort the rows of
# one cable, and building that query cost about 0.6 ms of every review page.
_PROPOSALS_SQL = (
    'SELECT id, cable_id, paragraph_id, start, "end", action, labels, rules, created_at'
    " FROM redaction_proposedredaction WHERE cable_id = %s AND paragraph_id = ANY(%s)"
    " ORDER BY paragraph_id, start, id"
)


def _proposals(cable_id: int, paragraph_ids: list[int]) -> dict[int, list[ProposedRedaction]]:
    """The proposals on these paragraphs of the cable, by paragraph (one query, none
    without paragraphs)."""
    by_paragraph: dict[int, list[ProposedRedaction]] = {}
    if not paragraph_ids:
        return by_paragraph
    for proposal in ProposedRedaction.objects.raw(_PROPOSALS_SQL, [cable_id, paragraph_ids]):
        by_paragraph.setdefault(proposal.paragraph_id, []).append(proposal)
    return by_paragraph


def _rules_as_read(
    user: object, cable: Cable, proposals: list[ProposedRedaction]
) -> list[ProposedRedaction]:
    """The proposals with their rules as the user may be told them
    (``access.proposal_rules_for``); rows read for a page, never saved."""
    for proposal in proposals:
        proposal.rules = access.proposal_rules_for(user, cable, proposal.rules)
    return proposals


def review_page(
    *,
    user: object,
    cable: Cable,
    with_conflicts: bool = False,
    with_occurrences: bool = False,
    with_suggestions: bool = False,
) -> ReviewPage:
    """Everything the review page shows, in a fixed number of queries.

    The paragraphs are read through ``workflow.access`` (grants and clearance in the
    query): those above the user's clearance never leave the database, they are
    only counted.  ``with_conflicts`` adds the near-duplicates other cables withhold
    (one query more), counting undecided paragraphs as released: what a reviewer
    wants to know before deciding.  ``with_occurrences`` adds, when a paragraph is
    redacted, the other places the cable shows the redacted words
    (``workflow.occurrences``: one query more, for the corpus's common words).
    ``with_suggestions`` adds what the page pre-fills for each undecided paragraph
    (``review_suggestions``: two queries, three more when a near-duplicate is decided
    elsewhere, one insert when anything is shown).
    """

    visible, total = access.cleared_paragraphs_read(user, cable)
    if total is not None:
        hidden = total - len(visible)
    else:
        hidden = access.paragraphs_hidden(user, cable)
    decisions = current_decisions(cable)
    proposals = _proposals(cable.pk, [p.pk for p in visible])
    for shown in proposals.values():
        _rules_as_read(user, cable, shown)
    views = [_view(p, decisions.get(p.pk), proposals.get(p.pk, [])) for p in visible]
    band_keys = candidates = None
    if with_conflicts and with_suggestions:
        band_keys = _band_keys_releasing(visible, decisions)
        # One look-up of the near-duplicates elsewhere serves both: the consistency
        # panel checks these paragraphs, the suggestions the undecided among them.
        candidates = store.candidates_elsewhere(
            (key for keys in band_keys.values() for key in keys), exclude_cable_id=cable.pk
        )
    conflicts = None
    if with_conflicts:
        conflicts = conflicts_for(
            cable, visible, decisions, include_undecided=True, band_keys=band_keys,
            candidates=candidates,
        )  # fmt: skip
    return ReviewPage(
        cable,
        views,
        hidden=hidden,
        conflicts=conflicts,
        subject=access.subject_for(user, cable),
        tags=access.tags_for(user, cable),
        occurrences=occurrences_for(visible, decisions) if with_occurrences else [],
        suggestions=review_suggestions(
            user, cable, visible, decisions, band_keys=band_keys, candidates=candidates
        )
        if with_suggestions
        else None,
    )


def _band_keys_releasing(
    paragraphs: list[Paragraph], decisions: dict[int, Decision]
) -> dict[int, list[int]]:
    """The near-duplicate band keys of the paragraphs undecided or decided to be released
    (in full or redacted), by id: those the consistency panel checks (undecided counted
    as released) and, of them, those suggestions are looked up for (the undecided).

    Computed once for both: hashing the text's shingles took about 0.3 ms a page each
    time.
    """
    wanted = [p for p in paragraphs if p.pk not in decisions or decisions[p.pk].kind in RELEASING]
    return dict(zip((p.pk for p in wanted), store.keys_for([p.text for p in wanted]), strict=True))


def _view(p: Paragraph, decision: Decision | None, mine: list[ProposedRedaction]) -> ParagraphView:
    return ParagraphView(p, segments_for(p.text, _marks(p, decision, mine)), decision, mine)


@dataclass(frozen=True)
class Progress:
    decided: int
    total: int


@dataclass(frozen=True)
class AfterDecision:
    """What the review page swaps in after a decision."""

    view: ParagraphView
    progress: Progress
    occurrences: list[Occurrences]


def paragraph_after_decision(*, user: object, paragraph: Paragraph) -> AfterDecision:
    """The one paragraph the review page swaps in after a decision, the cable's
    progress and the other occurrences of its redacted words: a handful of queries,
    not the whole page again."""

    cable = paragraph.cable
    decisions = current_decisions(cable)
    visible, _ = access.cleared_paragraphs_read(user, cable)
    proposals = _rules_as_read(user, cable, list(paragraph.proposals.all()))
    view = _view(paragraph, decisions.get(paragraph.pk), proposals)
    decided = sum(1 for p in visible if p.pk in decisions)
    return AfterDecision(
        view, Progress(decided=decided, total=len(visible)), occurrences_for(visible, decisions)
    )


# -- decide once: what the review page pre-fills -------------------------------------------

# Learned suggestions the page can accept with one key: a referral needs an agency the
# model does not predict, so it is shown but not offered.
ACCEPTABLE_LEARNED = (Decision.Kind.RELEASE, Decision.Kind.REDACT, Decision.Kind.WITHHOLD)


@dataclass(frozen=True)
class LearnedHint:
    """The model's confident suggestion for a paragraph, as the page shows it."""

    kind: str
    label: str
    confidence: float
    version: int

    @property
    def kind_label(self) -> str:
        return Decision.Kind(self.kind).label


@dataclass(frozen=True)
class Suggestion:
    """What the review page pre-fills for one undecided paragraph: a decided
    near-duplicate's decision (``reuse``) and the model's confident suggestion
    (``learned``); ``accept`` says which one the `s` key takes (None: none can be
    taken as it stands)."""

    reuse: reuse.ReuseSuggestion | None
    learned: LearnedHint | None
    accept: str | None
    # The carried-over redactions as the words they remove, with their exemption.
    carried: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        chosen = self.reuse if self.accept != "learned" and self.reuse else self.learned
        return chosen.kind if chosen else ""

    @property
    def kind_label(self) -> str:
        return Decision.Kind(self.kind).label if self.kind else ""

    @property
    def source_text(self) -> str:
        """Where a reused decision comes from, named only when the user may read the
        source paragraph (``workflow.access``); otherwise "another cable"."""
        if self.reuse is None:
            return ""
        if not self.reuse.source_named:
            return "a near-duplicate in another cable"
        d = self.reuse.source
        where = d.paragraph.number or d.paragraph.ordinal
        return (
            f"{d.cable.reference_id} ¶{where}, decided by {d.decided_by.get_username()} "
            f"on {d.decided_at:%Y-%m-%d}"
        )


@dataclass(frozen=True)
class Suggestions:
    by_paragraph: dict[int, Suggestion]
    model_version: int | None
    model_message: str


def _learned(undecided: list[Paragraph]) -> tuple[int | None, str, dict[int, LearnedHint]]:
    """The latest model's confident suggestions (one query; the fitted model is loaded
    once per process), or why there are none."""
    version = learning.latest_version()
    if version is None:
        return (
            None,
            (
                "Learned suggestions are off: no model is trained yet (the first one is trained "
                f"once {learning.min_decisions()} decisions of at least 2 kinds exist)."
            ),
            {},
        )
    try:
        fitted = learning.fitted_for(version)
    except ValueError:
        log.exception("suggestion model v%s refused", version.pk)
        return None, f"Learned suggestions are off: model v{version.pk} failed its check.", {}
    message = f"Learned suggestions from model v{version.pk} ({version.training_size} decisions)."
    threshold = learning.confidence_threshold()
    predictions = fitted.predict(
        [pipeline.Example(p.text, int(p.level), tuple(p.controls or ())) for p in undecided]
    )
    hints = {
        p.pk: LearnedHint(pred.kind, pred.label, pred.confidence, version.pk)
        for p, pred in zip(undecided, predictions, strict=True)
        if pred.confidence >= threshold
    }
    return version.pk, message, hints


def review_suggestions(
    user: object,
    cable: Cable,
    paragraphs: list[Paragraph],
    decisions: dict[int, Decision],
    *,
    band_keys: dict[int, list[int]] | None = None,
    candidates: list[int] | None = None,
) -> Suggestions:
    """For each undecided paragraph of ``paragraphs`` (read through ``workflow.access``
    by the caller), a decided near-duplicate's decision and the model's confident
    suggestion, each recorded as shown to the user (``SuggestionShown``: a decision
    then taken records the model version that was on screen).

    Queries: the near-duplicate candidates and the model's version (when a paragraph is
    undecided); their decisions and which source paragraphs the user may read (when
    candidates turn up); one insert of what was shown.  None per paragraph.
    ``band_keys``: the near-duplicate band keys of at least the undecided paragraphs, by
    id, and ``candidates``: the paragraphs elsewhere sharing one of them, when the caller
    has them already (``review_page``: then the candidates cost no query here).
    """
    undecided = [p for p in paragraphs if p.pk not in decisions]
    if not undecided:  # nothing to suggest: no query at all
        return Suggestions({}, None, "")
    matches = reuse.best_matches(cable, undecided, band_keys=band_keys, candidates=candidates)
    named: set[int] = set()
    if matches:
        sources = {d.paragraph_id for d, _ in matches.values()}
        # The grant is checked on the source cables only (a probe each), not by
        # gathering every cable the user may view.
        readable = access.readable_paragraphs(
            user,
            Paragraph.objects.filter(pk__in=sources),
            cables={d.cable_id for d, _ in matches.values()},
        )
        named = set(readable.values_list("pk", flat=True))
    version, message, hints = _learned(undecided)
    out: dict[int, Suggestion] = {}
    shown: list[SuggestionShown] = []
    now = timezone.now()
    for p in undecided:
        match = matches.get(p.pk)
        reused = (
            reuse.suggestion_for(p, match[0], match[1], source_named=match[0].paragraph_id in named)
            if match
            else None
        )
        hint = hints.get(p.pk)
        if reused is None and hint is None:
            continue
        if reused is not None and reused.complete:
            accept = "reuse"
        elif hint is not None and hint.kind in ACCEPTABLE_LEARNED and reused is None:
            accept = "learned"
        else:
            accept = None
        carried = (
            tuple((p.text[s["start"] : s["end"]], s["label"]) for s in reused.spans)
            if reused
            else ()
        )
        out[p.pk] = Suggestion(reused, hint, accept, carried)
        common = {"user": user, "cable": cable, "paragraph": p, "shown_at": now}
        if reused is not None:
            shown.append(
                SuggestionShown(
                    **common,
                    source=SuggestionShown.Source.REUSE,
                    kind=reused.kind,
                    label=reused.label,
                    spans=list(reused.spans),
                    similarity=reused.similarity,
                    source_decision=reused.source,
                )
            )
        if hint is not None:
            shown.append(
                SuggestionShown(
                    **common,
                    source=SuggestionShown.Source.LEARNED,
                    kind=hint.kind,
                    label=hint.label,
                    confidence=hint.confidence,
                    model_version_id=hint.version,
                )
            )
    if shown:
        SuggestionShown.objects.bulk_create(shown)
    return Suggestions(out, version, message)
