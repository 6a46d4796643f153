"""Top-level URL routes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="workflow:queue"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cables/", include("workflow.cable_urls")),
    path("workflow/", include("workflow.urls")),
    path("releases/", include("releases.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("", include("config.health")),
]

# Errors: JSON under /api/, Django's own pages elsewhere (api/errors.py).
handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
