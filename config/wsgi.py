"""WSGI entry point for gunicorn and other servers."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What a worker holds for its whole life (Django, every view module and the templates
# they compile on import, the URL patterns), loaded now and then left out of the cyclic
# garbage collector's passes: each full pass walked all of it again, for nothing, about
# 6% of the instructions of a review page and 8% of a queue page (callgrind, 30 pages).
import_module(settings.ROOT_URLCONF)  # the URL configuration imports every view module
gc.collect()
gc.freeze()
