from django.urls import path

from workflow import views

app_name = "workflow"
urlpatterns = [
    path("forecast/", views.forecast, name="forecast"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_read"),
]
