"""Verification blocks a release whose outputs leak or differ from the approved decisions."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from pypdf import PdfReader, PdfWriter

from audit.models import AuditEvent
from releases.models import Release, ReleaseFile
from releases.render import RENDERERS, render_html, render_pdf, render_text
from releases.services import release_generate, release_verify_stored
from releases.verify import verify_checksums
from tests.db_roles import superuser_connection
from tests.releases.conftest import MINISTER, P2, SOURCE, files_of
from workflow.models import ReviewState

pytestmark = pytest.mark.django_db


def with_renderer(name, render):
    renderers = dict(RENDERERS)
    file_name, content_type, _ = renderers[name]
    renderers[name] = (file_name, content_type, render)
    return renderers


def leaky_text(doc):
    return render_text(doc) + f"\n{MINISTER}\n".encode()


def html_comment(doc):
    return render_html(doc).replace(b"</body>", f"<!-- {SOURCE} --></body>".encode())


def html_attribute(doc):
    return render_html(doc).replace(b'content="Declass"', f'content="{P2}"'.encode())


def pdf_metadata(doc):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render_pdf(doc))))
    writer.add_metadata({"/Subject": f"notes on {MINISTER}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_hidden_text(doc):
    from weasyprint import HTML

    page = render_html(doc).replace(
        b"</body>", f'<span style="color:#fff;font-size:1px">{P2}</span></body>'.encode()
    )
    return HTML(string=page.decode()).write_pdf()


def text_wrong_exemption(doc):
    return render_text(doc).replace(b"Minister [(b)(6)] told", b"Minister [(b)(5)] told")


def pdf_broken(doc):
    raise RuntimeError("font cache gone")


@pytest.mark.parametrize(
    ("name", "render", "reason"),
    [
        ("text", leaky_text, "plain text: text redacted from paragraph 1 ((b)(6)) appears in it"),
        ("html", html_comment, "HTML source: an HTML comment"),
        ("html", html_attribute, "HTML attributes: text of paragraph 2, withheld in full"),
        ("pdf", pdf_metadata, "PDF metadata: text redacted from paragraph 1 ((b)(6)) appears"),
        ("pdf", pdf_hidden_text, "PDF text layer: text of paragraph 2, withheld in full"),
        ("text", text_wrong_exemption, "plain text: paragraph 1 is not as the approved decisions"),
        ("pdf", pdf_broken, "the pdf output could not be made (RuntimeError)"),
    ],
    ids=["text leak", "html comment", "html attribute", "pdf metadata", "pdf hidden text",
         "wrong exemption", "renderer fails"],
)  # fmt: skip
def test_a_release_whose_output_is_wrong_is_blocked_and_says_why(
    reviewed, authority, publish, monkeypatch, name, render, reason
):
    # Given an approval whose generation uses a broken renderer
    monkeypatch.setattr("releases.services.RENDERERS", with_renderer(name, render))

    # When the release is generated
    release = publish(reviewed, authority)

    # Then it is blocked with the reason, nothing is stored, and the cable is not released
    assert release.status == Release.Status.BLOCKED
    assert reason in release.blocked_reason
    assert MINISTER not in release.blocked_reason and SOURCE not in release.blocked_reason
    assert release.version is None
    assert not ReleaseFile.objects.exists()
    reviewed.status.refresh_from_db()
    assert reviewed.status.review_state == ReviewState.APPROVED
    blocked = AuditEvent.objects.get(action="release.blocked")
    assert any(reason in problem for problem in blocked.after["problems"])
    assert not AuditEvent.objects.filter(action="release.published").exists()


def test_after_a_block_the_authority_can_generate_the_release_again(
    reviewed, authority, publish, monkeypatch
):
    monkeypatch.setattr("releases.services.RENDERERS", with_renderer("text", leaky_text))
    blocked = publish(reviewed, authority)
    monkeypatch.undo()

    release = publish(reviewed, authority)

    assert blocked.status == Release.Status.BLOCKED
    assert release.pk != blocked.pk
    assert (release.status, release.version) == (Release.Status.PUBLISHED, 1)


@pytest.mark.django_db(transaction=True)
def test_verification_of_a_stored_release_finds_a_tampered_file(published, capsys):
    # Given a published release that verifies
    assert release_verify_stored(published) == []
    call_command("verify_release", str(published.pk))
    assert "ok" in capsys.readouterr().out

    # When someone gets past the database trigger and changes the stored PDF: a
    # superuser (the service's role may not), triggers off for one transaction.
    pdf = ReleaseFile.objects.get(release=published, name="release.pdf")
    with superuser_connection() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(
            "UPDATE releases_releasefile SET content = %s WHERE id = %s",
            [bytes(pdf.content) + b"%tampered\n", pdf.pk],
        )

    # Then verification says which file and why, and the command fails
    problems = release_verify_stored(published)
    assert "release.pdf: its content does not match its recorded checksum" in problems
    assert "release.pdf: its checksum does not match the manifest" in problems
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_release", str(published.pk))
    assert exit_info.value.code == 1


def test_checksums_are_checked_against_the_manifest(published):
    files = files_of(published)
    manifest = json.loads(files["manifest.json"])

    assert verify_checksums(manifest, files) == []
    assert verify_checksums(manifest, {**files, "release.txt": b"changed"}) == [
        "release.txt: its checksum does not match the manifest"
    ]
    assert verify_checksums(manifest, {**files, "extra.bin": b""}) == [
        "extra.bin: stored but not in the manifest"
    ]


def test_generation_is_idempotent(published):
    again = release_generate(release_id=published.pk)

    assert again.pk == published.pk
    assert Release.objects.filter(cable=published.cable).count() == 1
    assert ReleaseFile.objects.filter(release=published).count() == 5
    assert AuditEvent.objects.filter(action="release.published").count() == 1


def test_the_database_refuses_to_change_a_published_release(published):
    with pytest.raises(TypeError, match="immutable"):
        published.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Release.objects.filter(pk=published.pk).update(title="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        ReleaseFile.objects.filter(release=published).update(content=b"changed")
    with pytest.raises(TypeError, match="immutable"):
        published.files.first().save()
    published.refresh_from_db()
    assert published.title.endswith("[(b)(6)]")
