from django.urls import path

from workflow import views

app_name = "workflow"
urlpatterns = [
    path("forecast/", views.forecast, name="forecast"),
]
