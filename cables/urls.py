from django.urls import path

from cables import views

app_name = "cables"
urlpatterns = [
    path("<int:pk>/", views.cable_detail, name="detail"),
]
