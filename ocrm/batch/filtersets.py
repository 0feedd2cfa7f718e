"""The filters of the jobs page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.forms import DateInput
from ocrm.batch.models import JobRun


def job_choices():
    return [(spec.name, spec.label) for spec in jobs.JOBS.values()]


class JobRunFilterSet(django_filters.FilterSet):
    job = django_filters.ChoiceFilter(label=_("job"), choices=job_choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=JobRun.Status.choices)
    date_from = django_filters.DateFilter(
        label=_("business date from"), field_name="business_date", lookup_expr="gte", widget=DateInput
    )
    date_to = django_filters.DateFilter(
        label=_("business date to"), field_name="business_date", lookup_expr="lte", widget=DateInput
    )

    class Meta:
        model = JobRun
        fields = ()
