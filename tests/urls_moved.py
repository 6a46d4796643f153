"""A URL configuration with the review queue at another address, for tests that switch
``ROOT_URLCONF`` (tests/test_layout_addresses.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _page(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


urlpatterns = [path("moved/", include(([path("queue/", _page, name="queue")], "workflow")))]
