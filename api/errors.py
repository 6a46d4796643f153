"""Refusals the API answers with, each carrying the service's own message, and the
handlers that answer every error under /api/ in JSON."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework import views as drf_views
from rest_framework.exceptions import APIException
from rest_framework.response import Response


class Conflict(APIException):
    """The request clashes with the current state (a decision made meanwhile, a move the
    state table or a guard refuses); reload and try again."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class Refused(APIException):
    """The service refused the request as it stands; the message says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request was refused."
    default_code = "refused"


class ContentTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


# -- every error under /api/ answered in JSON ---------------------------------------------
#
# DRF answers the errors of its views in JSON, but Django raises some while DRF reads the
# body (RequestDataTooBig, TooManyFilesSent: SuspiciousOperation), which DRF leaves to
# Django; and a path under /api/ that no view serves, or a view's unexpected error, is
# Django's too.  exception_handler (REST_FRAMEWORK) takes the first; the handler4xx/500
# views (config/urls.py) answer the rest in JSON under /api/ and as Django does elsewhere.

API_PREFIX = "/api/"


def _body_refusal(exc: SuspiciousOperation) -> APIException:
    if isinstance(exc, RequestDataTooBig):
        return ContentTooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    if isinstance(exc, TooManyFilesSent):
        return Refused(
            f"Too many files in one request: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
        )
    if isinstance(exc, TooManyFieldsSent):
        return Refused(
            f"Too many fields in one request: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}."
        )
    return Refused("Bad request.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, which also answers a refused request body (a SuspiciousOperation,
    logged as Django logs it) in JSON instead of leaving it to Django's HTML page."""
    if isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        exc = _body_refusal(exc)
    return drf_views.exception_handler(exc, context)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        refusal = (
            _body_refusal(exception)
            if isinstance(exception, SuspiciousOperation)
            else Refused("Bad request.")
        )
        return JsonResponse({"detail": str(refusal.detail)}, status=refusal.status_code)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
