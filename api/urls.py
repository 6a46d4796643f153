"""The REST API's routes, its OpenAPI schema and the docs page (assets served locally)."""

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import assignments, cables, imports, releases, rules, suggestions, tokens


class IdConverter:
    """A database id: digits only, and few enough to fit a 64-bit key (else 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class FileNameConverter:
    """A stored file's name: letters, digits, dots, dashes and underscores."""

    regex = "[A-Za-z0-9._-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "api_id")
register_converter(FileNameConverter, "api_file")

app_name = "api"
urlpatterns = [
    path("cables/", cables.CableList.as_view(), name="cable-list"),
    path("cables/<api_id:pk>/", cables.CableDetail.as_view(), name="cable-detail"),
    path(
        "cables/<api_id:pk>/paragraphs/",
        cables.CableParagraphList.as_view(),
        name="cable-paragraphs",
    ),
    path(
        "cables/<api_id:pk>/proposals/",
        cables.CableProposalList.as_view(),
        name="cable-proposals",
    ),
    path(
        "cables/<api_id:pk>/decisions/",
        cables.CableDecisionList.as_view(),
        name="cable-decisions",
    ),
    path(
        "cables/<api_id:pk>/subject/decisions/",
        cables.SubjectDecisions.as_view(),
        name="cable-subject-decisions",
    ),
    path(
        "cables/<api_id:pk>/transition/",
        cables.CableTransition.as_view(),
        name="cable-transition",
    ),
    path("paragraphs/<api_id:pk>/", cables.ParagraphDetail.as_view(), name="paragraph-detail"),
    path(
        "paragraphs/<api_id:pk>/decisions/",
        cables.ParagraphDecisions.as_view(),
        name="paragraph-decisions",
    ),
    path("rules/", rules.RuleList.as_view(), name="rule-list"),
    path("rules/<api_id:pk>/", rules.RuleDetail.as_view(), name="rule-detail"),
    path("rules/<api_id:pk>/versions/", rules.RuleVersionList.as_view(), name="rule-versions"),
    path("rules/<api_id:pk>/activate/", rules.RuleActivate.as_view(), name="rule-activate"),
    path("rules/<api_id:pk>/deactivate/", rules.RuleDeactivate.as_view(), name="rule-deactivate"),
    path("imports/", imports.CableImport.as_view(), name="import"),
    path("releases/", releases.ReleaseList.as_view(), name="release-list"),
    path("releases/<api_id:pk>/", releases.ReleaseDetail.as_view(), name="release-detail"),
    path(
        "releases/<api_id:pk>/files/<api_file:name>",
        releases.ReleaseFileDownload.as_view(),
        name="release-file",
    ),
    # Decide once: suggestions, propagation, triage, quality control (api/suggestions.py).
    path(
        "cables/<api_id:pk>/suggestions/",
        suggestions.CableSuggestions.as_view(),
        name="cable-suggestions",
    ),
    path("cables/<api_id:pk>/triage/", suggestions.CableTriage.as_view(), name="cable-triage"),
    path(
        "cables/<api_id:pk>/batch-release/",
        suggestions.CableBatchRelease.as_view(),
        name="cable-batch-release",
    ),
    path(
        "paragraphs/<api_id:pk>/suggested-decision/",
        suggestions.SuggestedDecision.as_view(),
        name="paragraph-suggested-decision",
    ),
    path(
        "decisions/<api_id:pk>/propagation/preview/",
        suggestions.PropagationPreview.as_view(),
        name="propagation-preview",
    ),
    path(
        "decisions/<api_id:pk>/propagation/apply/",
        suggestions.PropagationApply.as_view(),
        name="propagation-apply",
    ),
    path("qc/tasks/", suggestions.QCTaskList.as_view(), name="qc-tasks"),
    path("qc/tasks/<api_id:pk>/", suggestions.QCTaskDecide.as_view(), name="qc-task-decide"),
    path("qc/agreement/", suggestions.QCAgreement.as_view(), name="qc-agreement"),
    path("assignments/", assignments.AssignmentList.as_view(), name="assignment-list"),
    path(
        "assignments/<api_id:pk>/revoke/",
        assignments.AssignmentRevoke.as_view(),
        name="assignment-revoke",
    ),
    path(
        "assignments/revoke/",
        assignments.AssignmentRevokeByQuery.as_view(),
        name="assignment-revoke-by-query",
    ),
    path("auth/login/", tokens.TokenLogin.as_view(), name="auth-login"),
    path("auth/logout/", tokens.TokenLogout.as_view(), name="auth-logout"),
    path("auth/logoutall/", tokens.TokenLogoutAll.as_view(), name="auth-logout-all"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
