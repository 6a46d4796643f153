"""Refusals the API answers with, each carrying the service's own message."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


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
