import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocrm.settings")
application = get_wsgi_application()


def settle():
    """Load every view now and move what the process has built so far (Django, the apps, the URL
    configuration: ~420k objects) out of the garbage collector's way (gc.freeze): they live as long as
    the process, and a full collection would otherwise scan them all. At 1M customers one came about
    every hundred pages and took ~200 ms of the page it fell on."""
    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    gc.collect()  # what is garbage already is not kept for ever
    gc.freeze()


settle()
