"""Twenty reviewers deciding overlapping paragraphs at the same moment, through the
real HTTP stack: every attempt is recorded exactly once or refused with a message.

Each reviewer is a thread with its own cookie jar that logs in through the login form,
loads the review pages, waits at a barrier with the others, and posts decisions the
way the review page's htmx does (CSRF token, ``HX-Request``).  The live server serves
each request in a thread of its own, each with its own database connection.  A
refused attempt is retried once from the decision the refusal shows, so the retries
collide again.

The requests race for real in PostgreSQL (a row lock on the cable's status, the
one-successor constraint on decisions, the audit trail's advisory lock).
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from http.cookiejar import CookieJar

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from audit.trail import verify_chain
from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory
from workflow import permissions
from workflow.models import Clearance, Decision

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REVIEWERS = 20
PER_REVIEWER = 3  # paragraphs each decides, overlapping with the others'
ATTEMPTS = 3
PASSWORD = "pw-for-tests-only"
KINDS = [("release", ""), ("withhold", "(b)(6)"), ("withhold", "(b)(1) 1.4(d)")]
_ARTICLE = re.compile(
    r'<article[^>]*\bid="para-(\d+)".*?<form class="decide".*?name="based_on" value="(\d*)"',
    re.S,
)


@dataclass(frozen=True)
class Attempt:
    reviewer: str
    paragraph: int
    note: str
    based_on: str
    status: int
    body: str


def based_on(html: str) -> dict[int, str]:
    """Paragraph id -> the decision id its decide form is based on ("" for none)."""
    return {int(pk): value for pk, value in _ARTICLE.findall(html)}


class Browser:
    """One reviewer's browser: cookies, the CSRF token, the htmx header."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.username = username
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def request(self, path: str, data: dict | None = None, **headers: str) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def login(self) -> None:
        status, page = self.request("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        status, page = self.request("/login/", form)
        assert status == 200 and 'name="password"' not in page, f"{self.username}: no login"

    def decide(
        self, paragraph: int, kind: str, label: str, based: str, note: str
    ) -> tuple[int, str]:
        form = {"kind": kind, "label": label, "based_on": based, "note": note}
        return self.request(
            f"/workflow/paragraphs/{paragraph}/decide/",
            form,
            **{"X-CSRFToken": self.cookie("csrftoken"), "HX-Request": "true"},
        )


def make_world() -> tuple[list[str], list[int], list[int]]:
    users = get_user_model().objects
    cables = [CableFactory() for _ in range(2)]
    paragraphs = [
        ParagraphFactory(cable=cable, ordinal=n + 1, level=int(Level.C), text=f"Text {n}.").pk
        for cable in cables
        for n in range(3)
    ]
    names = []
    for i in range(REVIEWERS):
        user = users.create_user(f"reviewer{i:02d}", f"r{i}@example.org", PASSWORD)
        Clearance.objects.create(user=user, level=int(Level.S))
        for cable in cables:
            permissions.grant(permissions.REVIEW, user, cable)
        names.append(user.username)
    return names, [c.pk for c in cables], paragraphs


def test_twenty_reviewers_at_once_each_decision_recorded_once_or_refused(live_server):
    names, cables, paragraphs = make_world()
    barrier = threading.Barrier(REVIEWERS, timeout=120)
    attempts: list[Attempt] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def review(index: int) -> None:
        try:
            me = Browser(live_server.url, names[index])
            me.login()
            seen: dict[int, str] = {}
            for cable in cables:
                status, page = me.request(f"/workflow/cables/{cable}/review/")
                assert status == 200, f"{me.username}: review page {status}"
                seen |= based_on(page)
            mine = [paragraphs[(index + k) % len(paragraphs)] for k in range(PER_REVIEWER)]
            for step, paragraph in enumerate(mine):
                kind, label = KINDS[(index + step) % len(KINDS)]
                barrier.wait()  # everyone posts this step at the same moment
                for attempt in range(ATTEMPTS):
                    note = f"{me.username} p{paragraph} try{attempt}"
                    based = seen[paragraph]
                    status, body = me.decide(paragraph, kind, label, based, note)
                    with lock:
                        attempts.append(Attempt(me.username, paragraph, note, based, status, body))
                    seen |= based_on(body)  # the fragment shows the decision now current
                    if status != 409:
                        break
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=review, args=(i,)) for i in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a reviewer's request never finished"
    assert not errors, errors[0]

    # Every attempt was answered: recorded (200) or refused as stale (409), never an error
    statuses = Counter(a.status for a in attempts)
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[409] > 0, "no two reviewers collided"
    for a in attempts:
        recorded = Decision.objects.filter(note=a.note).count()
        if a.status == 200:
            assert recorded == 1, a
        else:
            assert recorded == 0, a
            assert re.search(r'role="alert"[^>]*>[^<]*decided this paragraph', a.body), a.body
            assert "reload" in a.body
    assert Decision.objects.count() == statuses[200]

    # Each paragraph's decisions form one line: each supersedes the one before it
    for paragraph in paragraphs:
        chain = list(Decision.objects.filter(paragraph_id=paragraph).order_by("id"))
        assert chain, f"paragraph {paragraph} has no decision"
        assert [d.supersedes_id for d in chain] == [None, *(d.pk for d in chain[:-1])]
        # and the one each winner was based on is the one it supersedes
        for d in chain:
            won = next(a for a in attempts if a.note == d.note)
            assert won.based_on == (str(d.supersedes_id) if d.supersedes_id else "")

    # One audit entry per recorded decision, one state change per cable, chain intact
    audited = Counter(
        AuditEvent.objects.filter(action="decision.recorded").values_list("object_id", flat=True)
    )
    assert audited == Counter(str(pk) for pk in Decision.objects.values_list("pk", flat=True))
    moves = AuditEvent.objects.filter(action="state.changed").values_list("cable_id", flat=True)
    assert sorted(moves) == sorted(cables)
    assert verify_chain().ok
