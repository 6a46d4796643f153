"""Canary crawl: no page, fragment, admin view, API answer, export, download, dry run
or search shows text to a persona who may not read it.

Distinctive strings are planted where only some may read them: in a SECRET paragraph
and in the subject line marked (S) of a cable in review, and in what repeats them: the
subject's codename in its TAGS and REF lines, the paragraph's in the signature, a parse
warning quoting its portion mark and a reviewer's note on the CONFIDENTIAL paragraph
(a note, like the raw text, goes only to a reader cleared for the whole cable); and in a
withheld paragraph and a redacted span of a released cable.  Then every URL of the
URLconf is fetched (GET) as each persona, with every path parameter filled from the world, and every
admin page of every registered model, changelists searched for the canaries included.
No answer may carry a canary the persona may not read; the test prints how many URLs
it fetched per persona.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cables.markings import Level
from cables.models import CableTag, Paragraph
from redaction.models import RedactionRule
from redaction.rule_services import rule_activate, rule_save
from releases.models import Release
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from tests.releases.conftest import decide
from workflow import permissions
from workflow.models import Clearance, ReviewState
from workflow.review import decision_record

pytestmark = pytest.mark.django_db

SECRET = "CANARYSECRETQX"
SUBJECT = "CANARYSUBJECTQX"
WITHHELD = "CANARYWITHHELDQX"
REDACTED = "CANARYREDACTEDQX"
ECHO_PROBE = "NOSUCHWORDZZ"

# Who may read the SECRET paragraph and subject: a grant on the cable and TOP SECRET clearance.
MAY_READ_SECRET = {"view_only", "reviewer", "releaser"}
# Who may read the released cable's original text: those who hold a grant on it.
MAY_READ_RELEASED_ORIGINAL = {"rita", "amos"}


def _persona(name: str, level: Level, groups: tuple[str, ...] = ()) -> Any:
    user = UserFactory(username=name, is_staff=bool(groups))
    Clearance.objects.create(user=user, level=int(level))
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    cable = CableFactory(
        level=int(Level.S),
        review_state=ReviewState.IN_REVIEW,
        subject=f"HARBOR TALKS {SUBJECT}",
        subject_level=int(Level.S),
        raw_text=(
            f"SECRET\nSUBJECT: (S) HARBOR TALKS {SUBJECT}\n"
            f"1. (C) Talks went well.\n2. (S) The source {SECRET} reported.\n"
        ),
        # Header lines that repeat the canaries (see the module's docstring).
        tags=["PREL", SUBJECT],
        references=[f"A. HARBOR 11 ({SUBJECT})"],
        signature=f"SMITH {SECRET}",
        parse_warnings=[f"UNKNOWN_CONTROL: paragraph 2: control(s) {SECRET} in (S//{SECRET})"],
    )
    low = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Talks went well.")
    high = ParagraphFactory(
        cable=cable, ordinal=2, level=int(Level.S), text=f"The source {SECRET} reported."
    )
    CableTag.objects.bulk_create(CableTag(cable=cable, tag=t) for t in cable.tags)
    users = {
        "no_permission": _persona("no_permission", Level.TS),
        "view_only": _persona("view_only", Level.TS),
        "reviewer": _persona("reviewer", Level.TS),
        "releaser": _persona("releaser", Level.TS),
        "low_clearance": _persona("low_clearance", Level.C),
        "admin_c": _persona("admin_c", Level.C, ("admin",)),
        "rule_editor": _persona("rule_editor", Level.U, ("rule editor",)),
        "auditor": _persona("auditor", Level.TS, ("auditor",)),
        "security_officer": _persona("security_officer", Level.TS, ("security officer",)),
    }
    for name, codename in [
        ("view_only", permissions.VIEW),
        ("reviewer", permissions.REVIEW),
        ("releaser", permissions.RELEASE),
        ("low_clearance", permissions.REVIEW),
        ("admin_c", permissions.VIEW),
    ]:
        permissions.grant(codename, users[name], cable)
    decision_record(
        user=users["reviewer"], paragraph=low, kind="release", based_on=None,
        note=f"Released: unlike the source {SECRET} of paragraph 2.",
    )  # fmt: skip

    # A released cable: one paragraph withheld, one with a redacted span.
    released = CableFactory(
        level=int(Level.C),
        subject="PORT VISIT",
        raw_text=f"CONFIDENTIAL\n1. (C) Met {REDACTED} today.\n2. (C) {WITHHELD} here.\n",
    )
    ParagraphFactory(cable=released, ordinal=1, level=int(Level.C), text=f"Met {REDACTED} today.")
    ParagraphFactory(
        cable=released, ordinal=2, level=int(Level.C), text=f"Withhold all: {WITHHELD} here."
    )
    ParagraphFactory(cable=released, ordinal=3, level=int(Level.U), text="The visit is public.")
    rita, amos = _persona("rita", Level.TS), _persona("amos", Level.TS)
    start = len("Met ")
    decide(
        released,
        rita,
        {
            1: ("redact", [{"start": start, "end": start + len(REDACTED), "label": "(b)(6)"}]),
            2: ("withhold", "(b)(1) 1.4(c)"),
        },
    )
    permissions.grant(permissions.RELEASE, amos, released)
    from releases.services import release_request

    with django_capture_on_commit_callbacks(execute=True):
        release = release_request(user=amos, cable=released)
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason

    # A rule whose dry run hits the SECRET paragraph and the released cable's canaries.
    rule = RedactionRule(
        name="canaries", kind="regex", pattern="CANARY[A-Z]+QX", label="(b)(6)", action="redact"
    )
    rule_save(rule=rule, user=users["rule_editor"])
    rule_activate(rule=rule, user=users["rule_editor"])
    return {
        "cable": cable,
        "low": low,
        "high": high,
        "released": released,
        "release": release,
        "rule": rule,
        "users": users,
    }


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _fill(route: str, world: dict[str, Any]) -> list[str]:
    """Every concrete path for a route of the URLconf, its parameters from the world."""
    if route.startswith("admin/") or "(?P" in route or route.startswith("^"):
        return []  # the admin is crawled model by model below
    names = [m["name"] for m in _PARAM.finditer(route)]
    if not names:
        return ["/" + route]
    cables = [world["cable"].pk, world["released"].pk]
    paragraphs = list(Paragraph.objects.values_list("pk", flat=True))
    release = world["release"]
    files = list(release.files.values_list("name", flat=True))
    values: dict[str, list[Any]] = {"name": files}
    if "paragraph" in route:
        values["pk"] = paragraphs
    elif "rule" in route:
        values["pk"] = [world["rule"].pk]
    elif route.startswith(("releases/<", "api/releases/")):
        values["pk"] = [release.pk]
    else:
        values["pk"] = cables
    paths = [route]
    for name in names:
        paths = [
            _PARAM.sub(lambda m, v=v, n=name: str(v) if m["name"] == n else m[0], p, count=1)
            for p in paths
            for v in values[name]
        ]
    return ["/" + p for p in paths]


def _admin_paths(world: dict[str, Any]) -> list[str]:
    paths = []
    for model, _model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:%s_%s_changelist" % info)  # noqa: UP031
        paths += [
            changelist,
            f"{changelist}?q={SECRET}",
            f"{changelist}?q={SUBJECT}",
            f"{changelist}?q=CANARY",
        ]
        for pk in model._default_manager.values_list("pk", flat=True)[:6]:
            paths.append(reverse("admin:%s_%s_change" % info, args=[pk]))  # noqa: UP031
            paths.append(reverse("admin:%s_%s_history" % info, args=[pk]))  # noqa: UP031
    paths.append(reverse("admin:redaction_rule_dry_run", args=[world["rule"].pk]))
    return paths


def _extra_paths(world: dict[str, Any]) -> list[str]:
    """Searches and filters: where a canary could come back as a match."""
    return [
        f"/releases/?q={REDACTED}",
        f"/releases/?q={WITHHELD}",
        f"/api/releases/?search={REDACTED}",
        "/workflow/queue/?state=in_review",
        "/workflow/queue/?state=released",
        f"/workflow/audit/?cable={world['cable'].reference_id}",
        f"/workflow/audit/export.csv?cable={world['released'].reference_id}",
    ]


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _forbidden(persona: str) -> list[str]:
    canaries = []
    if persona not in MAY_READ_SECRET:
        canaries += [SECRET, SUBJECT]
    if persona not in MAY_READ_RELEASED_ORIGINAL:
        canaries += [WITHHELD, REDACTED]
    return canaries


def test_no_persona_reads_a_canary_it_may_not(world, capsys):
    paths = sorted(
        {p for route, _ in _patterns(get_resolver().url_patterns) for p in _fill(route, world)}
        | set(_admin_paths(world))
        | set(_extra_paths(world))
    )
    personas = ["anonymous", *world["users"]]
    fetched: dict[str, int] = {}
    leaks: list[str] = []
    for persona in personas:
        client = Client()
        if persona != "anonymous":
            client.force_login(world["users"][persona])
        forbidden = _forbidden(persona)
        count = 0
        for path in paths:
            body = _body(client.get(path))
            count += 1
            for canary in forbidden:
                # A search page echoes its own query: it leaks only if the canary shows
                # more often than a query that matches nothing shows in its place.
                echoes = 0
                if canary in path:
                    control = path.replace(canary, ECHO_PROBE)
                    echoes = _body(client.get(control)).count(ECHO_PROBE)
                    count += 1
                if body.count(canary) > echoes:
                    leaks.append(f"{persona} GET {path}: {canary}")
        fetched[persona] = count
    with capsys.disabled():
        print("\ncanary crawl, URLs fetched per persona:", fetched)  # noqa: T201 (the count is the report)
    assert leaks == [], "\n".join(leaks)
    # The crawl reached the pages that do show the canaries to those who may read them.
    reviewer = Client()
    reviewer.force_login(world["users"]["reviewer"])
    review_page = reviewer.get(f"/workflow/cables/{world['cable'].pk}/review/").content.decode()
    assert SECRET in review_page
    assert SUBJECT in review_page
    assert min(fetched.values()) >= len(paths) > 100
