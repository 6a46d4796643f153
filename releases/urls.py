from django.urls import path

from releases import views
from workflow.no_store import kept_by_no_cache

app_name = "releases"
urlpatterns = [
    *kept_by_no_cache([
        path("", views.reading_room, name="reading_room"),
        path("<int:pk>/", views.detail, name="detail"),
        path("cables/<int:pk>/approval/", views.approval, name="approval"),
        path("approve/<int:pk>/", views.approve, name="approve"),
    ]),
    # A published release's stored file: public, immutable, served with its ETag.
    path("<int:pk>/files/<str:name>", views.download, name="download"),
]  # fmt: skip
