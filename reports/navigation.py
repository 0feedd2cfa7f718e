"""Reports' entries in the navigation bar (see ocrm.navigation); each area registers its own
entries from a function here, called by register_nav()."""

from django.utils.translation import gettext_lazy as _

REPORTS = _("Reports")


def register_nav():
    pass
