"""The analyses' one business action: a segment becomes a dynamic customer group of the actor
(customers.master.groups.save_dynamic_group checks the permission, the name, and audits)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.master import groups
from reports.analyses import segments


def create_segment_group(actor, segment_key, name, branch=None):
    """The actor's dynamic group of the segment `segment_key` (within `branch`'s subtree)."""
    try:
        query = segments.group_filter_query(segment_key, branch)
    except ValueError:
        raise ValidationError({"segment": _("Choose a segment of the analysis.")}) from None
    return groups.save_dynamic_group(actor, name, query)
