"""The WSGI module loads every view before it serves, and leaves what it loaded out of
the garbage collector's passes (config/wsgi.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_wsgi_application_loads_every_view_and_freezes_what_it_loaded():
    # A fresh interpreter: importing config.wsgi in the test process would freeze its heap.
    script = textwrap.dedent(
        """
        import gc, sys
        import config.wsgi
        print(gc.get_freeze_count() > 10_000, "workflow.review_views" in sys.modules,
              "releases.views" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["True", "True", "True"]
