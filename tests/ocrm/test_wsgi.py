"""The web process's start-up (ocrm.wsgi): every view loaded and the start-up objects frozen out of the
garbage collector's way, so that a full collection does not scan them in the middle of a page."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_web_process_loads_every_view_and_freezes_what_it_built():
    probe = (
        "import gc, sys; import ocrm.wsgi; "
        "print(gc.get_freeze_count(), 'customers.master.views' in sys.modules, 'crossborder.requests.views' in sys.modules)"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=os.environ, capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0, answer.stderr
    frozen, customers_loaded, crossborder_loaded = answer.stdout.split()
    assert int(frozen) > 100_000 and customers_loaded == "True" and crossborder_loaded == "True"
