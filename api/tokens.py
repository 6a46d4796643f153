"""API tokens (django-rest-knox): issue one, revoke it, revoke them all.

A token is shown once, when it is issued; the database keeps only its digest (SHA-512)
and its first characters, and it expires ``DECLASS_API_TOKEN_TTL_HOURS`` after issue.
Clients send ``Authorization: Token <token>``.  A token is issued here to a user who
proves who they are with a password (HTTP Basic) or a logged-in session, never to a
token: a token cannot renew itself past its expiry.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions, serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication

from api.throttling import LoginRateThrottle


def token_issue(*, user: AbstractBaseUser, ttl: timedelta | None = None) -> tuple[AuthToken, str]:
    """A new token for ``user``, expiring after ``ttl`` (the setting's by default): the
    row, and the token itself, which is not stored and cannot be shown again."""
    return AuthToken.objects.create(user=user, expiry=ttl or knox_settings.TOKEN_TTL)


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")


class TokenScheme(OpenApiAuthenticationExtension):
    """Knox tokens keep the name and the header DRF's tokens had in the schema."""

    target_class = "knox.auth.TokenAuthentication"
    name = "tokenAuth"
    priority = 1  # over drf-spectacular's own knox extension ("knoxApiToken")

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


class TokenLogin(knox_views.LoginView):
    # A password or a session, never a token (a token would renew itself for ever).
    authentication_classes = [BasicAuthentication, SessionAuthentication]
    # Attempts by client address (rate "login"); failures by username and address are
    # also counted by django-axes, which then refuses even the right password.
    throttle_classes = [LoginRateThrottle]
    _throttles_checked = False

    def initial(self, request, *args, **kwargs):
        # The throttle first: DRF checks it after authentication, which a wrong
        # password ends with a 401, so that failures would never count.
        self.check_throttles(request)
        try:
            super().initial(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):  # set by django-axes
                raise exceptions.Throttled(
                    wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                    detail="Too many failed logins for this user from this address.",
                ) from None
            raise

    def check_throttles(self, request):
        if not self._throttles_checked:  # once a request (initial() runs it again)
            self._throttles_checked = True
            super().check_throttles(request)

    @extend_schema(
        operation_id="auth_login",
        summary="Issue an API token",
        description=(
            "Authenticate with HTTP Basic (username and password) or a logged-in session;"
            " a token is not accepted. The answer holds the token, shown this once, and"
            " its expiry."
        ),
        request=None,
        responses={200: IssuedTokenSerializer},
        # HTTP Basic is described above: the schema names the schemes the rest of the
        # API uses (tokenAuth, cookieAuth) and no other.
        auth=[{"cookieAuth": []}],
    )
    def post(self, request, format=None):
        return super().post(request, format=format)


class TokenLogout(knox_views.LogoutView):
    @extend_schema(
        operation_id="auth_logout",
        summary="Revoke the token this request is sent with",
        description="The token stops working at once; the user's other tokens do not.",
        request=None,
        responses={204: None},
    )
    def post(self, request, format=None):
        return super().post(request, format=format)


class TokenLogoutAll(knox_views.LogoutAllView):
    # With a token, or from a logged-in session (a lost token can be revoked too).
    authentication_classes = [TokenAuthentication, SessionAuthentication]

    @extend_schema(
        operation_id="auth_logout_all",
        summary="Revoke every token of the user",
        description=(
            "Every API token of the user stops working at once, this one included. Sent"
            " from a logged-in session, it revokes a token that was lost; the session"
            " itself stays logged in."
        ),
        request=None,
        responses={204: None},
    )
    def post(self, request, format=None):
        return super().post(request, format=format)
