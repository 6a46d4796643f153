"""Admin for workflow history (sweep runs, notifications), clearances and people.

Separation of duties: clearances and group membership are changed by the security
officer role (``workflow.roles``); nobody changes their own, and every change goes
through ``workflow.permissions`` (``clearance_set``, ``groups_set``), which
refuses self-changes and audits each with before and after.  The admin pages that
show cable text live in ``workflow.cable_admin``; the audit trail's entry pages are
registered again here, so that a move's note (which may quote the cable) shows only
where the viewer may read the cable whole (``workflow.access``).

People: a new user is created with their roles and clearance in one form
(``PersonCreationForm``).  Passwords are a superuser's alone to set for someone
else: whoever could set another person's password could log in as them and so
hold their roles, which would undo the separation above.  A security officer
creates an account without a password; its owner gets an e-mailed one-time link
(``welcome/<uid>/<token>/``) and chooses it on first login.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.admin import AuditEventAdmin, ReadOnlyAdmin, person_fields, person_name
from audit.models import AuditEvent
from audit.trail import audit_record
from cables.models import ClassificationLevel
from config.admin_lookups import DeclaredLookupsOnly
from workflow import (
    access,
    cable_admin,  # noqa: F401  (registers the admin pages showing text)
    permissions,
    rounds,
)
from workflow.models import Clearance, Notification, SweepRun
from workflow.roles import ROLES

SELF_CHANGE = "Separation of duties: nobody changes their own clearance; ask a security officer."


class ReadableAuditEventAdmin(AuditEventAdmin):
    """The audit trail's entry pages: a move's note shown only where the viewer may read
    its cable whole (``workflow.access.audit_entries_as_read``)."""

    def entries_as_read(
        self, request: HttpRequest, events: Iterable[AuditEvent]
    ) -> Iterable[AuditEvent]:
        return access.audit_entries_as_read(request.user, events)


admin.site.unregister(AuditEvent)
admin.site.register(AuditEvent, ReadableAuditEventAdmin)


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "as_of",
        "horizon_days",
        "status",
        "flagged",
        "notified_users",
    )
    list_filter = ("status",)
    # Lists the cables the run flagged (from its audit entry), those the viewer may view.
    change_form_template = "admin/workflow/sweeprun/change_form.html"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        run = self.get_object(request, object_id)
        extra = {"flagged_cables": rounds.run_flagged(request.user, run) if run else None}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "cable_count", "message", "read_at", "emailed_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "message")
    readonly_fields = ("person",)

    def get_fields(self, request: HttpRequest, obj: Notification | None = None) -> Any:
        """The person notified: linked to their user page only where the viewer may open it."""
        fields = [f for f in super().get_fields(request, obj) if f != "person"]
        return person_fields(self.admin_site, request, fields, {"user": "person"})

    @admin.display(description="user")
    def person(self, obj: Notification) -> str:
        return person_name(obj.user)


@admin.register(Clearance)
class ClearanceAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = ("user", "level")
    list_filter = ("level",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)  # picked by name, never by a numeric id

    def get_readonly_fields(self, request: HttpRequest, obj: Clearance | None = None) -> Any:
        return ("user", "person") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Clearance | None = None) -> Any:
        """Whose clearance it is: linked to their user page only where the viewer may
        open it (the security officer may; the admin role, which reads clearances, may
        not: plain text)."""
        fields = [f for f in super().get_fields(request, obj) if f != "person"]
        if obj is None:
            return fields  # the add form: the person is picked (autocomplete)
        return person_fields(self.admin_site, request, fields, {"user": "person"})

    @admin.display(description="user")
    def person(self, obj: Clearance) -> str:
        return person_name(obj.user)

    def has_change_permission(self, request: HttpRequest, obj: Clearance | None = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False  # one's own clearance: view only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Clearance | None = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        base = super().get_form(request, obj, change, **kwargs)

        class ClearanceForm(base):  # type: ignore[misc,valid-type]
            def clean(self) -> dict[str, Any]:
                data = super().clean()
                user = data.get("user") or getattr(self.instance, "user", None)
                if user is not None and user.pk == request.user.pk:
                    raise forms.ValidationError(SELF_CHANGE)
                return data

        return ClearanceForm

    def save_model(self, request: HttpRequest, obj: Clearance, form: Any, change: bool) -> None:
        saved = permissions.clearance_set(actor=request.user, user=obj.user, level=obj.level)
        if saved is not None:
            obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request: HttpRequest, obj: Clearance) -> None:
        permissions.clearance_set(actor=request.user, user=obj.user, level=None)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Clearance]) -> None:
        with transaction.atomic():  # all or none: one's own among them refuses them all
            for clearance in queryset.select_related("user"):
                permissions.clearance_set(actor=request.user, user=clearance.user, level=None)


User = get_user_model()

PASSWORDS_ARE_SUPERUSERS = (
    "Separation of duties: only a superuser sets or resets another person's password "
    "(whoever knows it could act as them)."
)


def role_groups() -> QuerySet[Group]:
    """The service's roles (``workflow.roles``), as the groups that carry them."""
    return Group.objects.filter(name__in=list(ROLES)).order_by("name")


def needs_admin_site(groups: Any) -> bool:
    """Staff status follows the roles: a role that carries model permissions works
    in the admin; reviewers and release authorities work on the service's pages."""
    return any(ROLES.get(group.name) for group in groups)


def staff_follows_roles(*, actor: Any, user: Any) -> None:
    """After a person's roles changed on their user page: staff status as the roles
    need it (``needs_admin_site``), given and taken away alike, audited.  A superuser
    stays staff, and so does whoever holds model permissions given one by one (a
    superuser's doing, for work in the admin)."""
    staff = (
        user.is_superuser or needs_admin_site(user.groups.all()) or user.user_permissions.exists()
    )
    if staff == user.is_staff:
        return
    before = user.is_staff
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action="user.staff_changed",
        obj=user,
        before={"user": user.get_username(), "staff": before},
        after={"user": user.get_username(), "staff": staff},
    )


class PersonCreationForm(forms.ModelForm):
    """A new user with their roles and clearance, in one form.

    The password fields are there for superusers only (``with_password``); left
    empty, or for a security officer always, the account gets no usable password
    and its owner sets one through the e-mailed link.
    """

    roles = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the person does. Reviewers and release authorities also need "
        "cables assigned to them.",
    )
    clearance = forms.TypedChoiceField(
        choices=ClassificationLevel.choices,
        coerce=int,
        initial=int(ClassificationLevel.UNCLASSIFIED),
        help_text="Paragraphs above it never reach their browser.",
    )
    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to e-mail them a link to choose it on first login.",
    )
    password2 = forms.CharField(
        label="Password again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    with_password = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = role_groups()
        if not self.with_password:
            del self.fields["password1"], self.fields["password2"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User._default_manager.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with that username already exists.")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, second = data.get("password1") or "", data.get("password2") or ""
        if first != second:
            self.add_error("password2", "The two passwords differ.")
        elif not first and not data.get("email"):
            self.add_error(
                "email",
                "An e-mail address is needed to send the link that sets the password"
                + (" (or set a password here)." if self.with_password else "."),
            )
        return data

    def _post_clean(self) -> None:
        super()._post_clean()
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)


class UserAdmin(DeclaredLookupsOnly, DjangoUserAdmin):
    """Users, with their groups (roles) changed only through ``groups_set``: audited,
    never one's own.  Superuser status, permissions given one by one and other
    people's passwords are a superuser's to change; everyone else gives rights by
    role, and a new person is created with roles and clearance in one form."""

    SELF_LOCKED = ("groups", "user_permissions", "is_superuser", "is_staff", "is_active")
    SUPERUSER_ONLY = ("user_permissions", "is_superuser")
    # Staff status follows the roles (``staff_follows_roles``): shown, never ticked by hand.
    FOLLOWS_ROLES = ("is_staff",)

    add_form = PersonCreationForm
    add_form_template = "admin/auth/user/add_person.html"
    filter_horizontal = ("user_permissions",)

    def add_fieldsets_for(self, request: HttpRequest) -> tuple[Any, ...]:
        account = ["username", "first_name", "last_name", "email"]
        if request.user.is_superuser:
            account += ["password1", "password2"]
        return (
            (None, {"classes": ("wide",), "fields": account}),
            ("Roles and clearance", {"classes": ("wide",), "fields": ["roles", "clearance"]}),
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets_for(request)
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Nobody but a superuser is offered another person's password (nor the link to
        # reset it): the field is left out of the form altogether.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "password"]})
            for name, opts in fieldsets
        ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return type("PersonCreationForm", (form,), {"with_password": request.user.is_superuser})
        if not request.user.is_superuser:
            # The read-only password field carries the "Reset password" link: not here.
            form = type(form.__name__, (form,), {})
            form.base_fields.pop("password", None)
        return form

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        fields = list(super().get_readonly_fields(request, obj))
        if obj.pk == request.user.pk:
            fields += [f for f in self.SELF_LOCKED if f not in fields]
        if not request.user.is_superuser:
            fields += [f for f in self.SUPERUSER_ONLY if f not in fields]
        return fields + [f for f in self.FOLLOWS_ROLES if f not in fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # a superuser's account is a superuser's to change
        return super().has_change_permission(request, obj)

    def user_change_password(
        self,
        request: HttpRequest,
        id: str,  # noqa: A002  (Django's name)
        form_url: str = "",
    ) -> HttpResponse:
        """Setting or resetting a password here is a superuser's alone (one's own is
        changed at the admin's "Change password", which asks for the old one)."""
        if not request.user.is_superuser:
            raise PermissionDenied(PASSWORDS_ARE_SUPERUSERS)
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        password = form.cleaned_data.get("password1") if request.user.is_superuser else None
        if password:
            obj.set_password(password)
        else:
            obj.set_unusable_password()
        obj.is_staff = needs_admin_site(form.cleaned_data.get("roles") or ())
        obj.is_superuser = False
        obj.save()
        audit_record(
            actor=request.user,
            action="user.created",
            obj=obj,
            after={
                "user": obj.get_username(),
                "email": obj.email,
                "staff": obj.is_staff,
                "password": "set by a superuser" if password else "by e-mailed link",
            },
        )
        if not password:
            link = request.build_absolute_uri(welcome_path(obj))
            transaction.on_commit(lambda: send_welcome(obj, link))
            messages.info(request, f"A link to set the password was e-mailed to {obj.email}.")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:  # roles and clearance of a new person: audited, refused for oneself
            permissions.groups_set(
                actor=request.user, user=form.instance, groups=form.cleaned_data["roles"]
            )
            permissions.clearance_set(
                actor=request.user, user=form.instance, level=form.cleaned_data["clearance"]
            )
            return
        groups = form.cleaned_data.pop("groups", None)  # set below, audited, not by the form
        super().save_related(request, form, formsets, change)
        if groups is not None:
            permissions.groups_set(actor=request.user, user=form.instance, groups=groups)
            # As the add form does: a new rule editor gets into the admin where rules
            # are edited, and whoever no role sends there any more leaves it.
            staff_follows_roles(actor=request.user, user=form.instance)

    def get_urls(self) -> list[URLPattern]:
        # Open to the new person, who is not logged in (nor staff): the token is the key.
        welcome = auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("admin:auth_user_welcome_done"),
            title="Choose your password",
        )
        done = auth_views.PasswordResetCompleteView.as_view(title="Password set")
        return [
            path("welcome/done/", done, name="auth_user_welcome_done"),
            path("welcome/<uidb64>/<token>/", welcome, name="auth_user_welcome"),
            *super().get_urls(),
        ]


def welcome_path(user: Any) -> str:
    """The one-time link with which a new person chooses their password (valid for
    ``PASSWORD_RESET_TIMEOUT``; used once, since setting the password spends it)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("admin:auth_user_welcome", args=[uid, token])


def send_welcome(user: Any, link: str) -> None:
    send_mail(
        "Your Declass account",
        f"An account was created for you on Declass (user name: {user.get_username()}).\n\n"
        f"Choose your password here (the link works once):\n{link}\n",
        None,
        [user.email],
    )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)
