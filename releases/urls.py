from django.urls import path

from releases import views

app_name = "releases"
urlpatterns = [
    path("", views.reading_room, name="reading_room"),
    path("<int:pk>/", views.detail, name="detail"),
    path("cables/<int:pk>/approval/", views.approval, name="approval"),
    path("approve/<int:pk>/", views.approve, name="approve"),
    # A published release's stored file: immutable, served with its ETag (views.download).
    path("<int:pk>/files/<str:name>", views.download, name="download"),
]
