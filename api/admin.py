"""API tokens in the admin: knox's page, except that a token issued there must expire
(by default one token lifetime from now). The token is shown once, in the message
after saving; the admin lists, and deletes (revokes), the others by digest."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from knox.admin import AuthTokenAdmin, AuthTokenCreateForm
from knox.models import AuthToken
from knox.settings import knox_settings

from config.admin_lookups import DeclaredLookupsOnly


class ExpiringTokenCreateForm(AuthTokenCreateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        expiry = self.fields["expiry"]
        expiry.required = True
        expiry.initial = lambda: timezone.now() + knox_settings.TOKEN_TTL

    def clean_expiry(self):
        expiry = self.cleaned_data["expiry"]
        if expiry <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expiry


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ExpiringTokenAdmin(DeclaredLookupsOnly, AuthTokenAdmin):
    add_form = ExpiringTokenCreateForm
