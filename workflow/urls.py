from django.urls import path

from workflow import access_trail_views, assignment_views, decide_once_views, review_views, views
from workflow.subject_views import decide_subject

app_name = "workflow"
urlpatterns = [
    path("forecast/", views.forecast, name="forecast"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_read"),
    path("queue/", review_views.queue, name="queue"),
    path("queue/bulk/", review_views.bulk, name="bulk"),
    path("cables/<int:pk>/review/", review_views.review, name="review"),
    path("cables/<int:pk>/transition/", review_views.transition, name="transition"),
    path("paragraphs/<int:pk>/decide/", review_views.decide, name="decide"),
    path("cables/<int:pk>/subject/decide/", decide_subject, name="decide_subject"),
    path(
        "cables/<int:pk>/redact-occurrences/",
        review_views.redact_other_occurrences,
        name="redact_occurrences",
    ),
    path("help/flags/", review_views.help_flags, name="help_flags"),
    # Decide once (issue 14): workflow/decide_once_views.py
    path(
        "paragraphs/<int:pk>/accept-suggestion/",
        decide_once_views.accept_suggestion,
        name="accept_suggestion",
    ),
    path("decisions/<int:pk>/propagate/", decide_once_views.propagate, name="propagate"),
    path("qc/", decide_once_views.second_look, name="second_look"),
    path("qc/<int:pk>/", decide_once_views.second_look_decide, name="second_look_decide"),
    path("qc/agreement/", decide_once_views.agreement, name="qc_agreement"),
    path("triage/", decide_once_views.triage_batch, name="triage"),
    path(
        "cables/<int:pk>/read-and-confirm/",
        decide_once_views.read_and_confirm,
        name="read_and_confirm",
    ),
    path("audit/", review_views.audit, name="audit"),
    path("audit/export.csv", review_views.audit_export, name="audit_export"),
    path("audit/database/", access_trail_views.access_changes, name="audit_access_changes"),
    path("assign/", assignment_views.assign_work, name="assign"),
    path("assign/preview/", assignment_views.assign_preview, name="assign_preview"),
    path("assign/people/", assignment_views.people, name="assign_people"),
    path("assign/batches/", assignment_views.batches, name="batches"),
    path("assign/batches/<int:pk>/", assignment_views.batch, name="batch"),
    path("assign/batches/<int:pk>/revoke/", assignment_views.batch_revoke, name="batch_revoke"),
    path("assign/workload/", assignment_views.workload, name="workload"),
]
