"""A real Celery worker publishes an approved release; a task delivered twice publishes once."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from releases.models import Release, ReleaseFile
from releases.services import release_request
from releases.tasks import release_generate_task
from tests.integration import services
from workflow import permissions
from workflow.models import CableStatus, ReviewState

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_publishes_the_release_queued_on_approval(tmp_path, reviewed, authority):
    permissions.grant(permissions.RELEASE, authority, reviewed)

    with services.publishing(), services.worker(tmp_path) as worker:
        # When the authority approves (the task goes to the broker after commit)
        release = release_request(user=authority, cable=reviewed)
        published = Release.objects.filter(pk=release.pk, status=Release.Status.PUBLISHED)
        assert services.wait_until(published.exists), worker.output()[-3000:]
        # and the same task is delivered again
        release_generate_task.delay(release.pk)
        release_generate_task.delay(release.pk)
        assert services.wait_until(lambda: worker.output().count("succeeded in") >= 3), (
            worker.output()[-3000:]
        )

    # Then one version, one set of files, one publication, and the cable is released
    release.refresh_from_db()
    assert release.version == 1
    assert ReleaseFile.objects.filter(release=release).count() == 5
    assert AuditEvent.objects.filter(action="release.published").count() == 1
    assert CableStatus.objects.get(cable=reviewed).review_state == ReviewState.RELEASED
