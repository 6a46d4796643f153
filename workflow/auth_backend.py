"""The login backend: Django's own, fetching the user's clearance with the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class ClearanceModelBackend(ModelBackend):
    """Every page that shows paragraphs asks for the user's clearance; loading it
    in the same query as the user (which the session middleware fetches on each
    request anyway) saves that query everywhere."""

    def get_user(self, user_id: Any) -> Any:
        from django.contrib.auth import get_user_model

        model = get_user_model()
        try:
            user = model._default_manager.select_related("clearance").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
