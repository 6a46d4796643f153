from django.urls import path

from workflow import cable_views as views

app_name = "cables"
urlpatterns = [
    path("<int:pk>/", views.cable_detail, name="detail"),
]
