from django.urls import path

from workflow import cable_views as views
from workflow.no_store import kept_by_no_cache

app_name = "cables"
urlpatterns = kept_by_no_cache(
    [
        path("<int:pk>/", views.cable_detail, name="detail"),
    ]
)
