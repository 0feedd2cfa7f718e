"""The nightly book figures job: each active bank once its head office's local day has begun
(the previous day's feeds and lifecycle have run), one set-based statement per bank."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask
from workbench.dashboard import figures

BOOK_FIGURES = PerBankJob(figures.JOB, figures.rebuild_scope, LOCAL_TODAY, banks=active_banks)


@shared_task(bind=True, base=BatchTask, name="workbench.tasks.build_book_figures")
def build_book_figures(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(BOOK_FIGURES, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(figures.JOB, _("Dashboard book figures"), build_book_figures.name, startable=True),
        {"figure_rows": _("figure rows")},
    )
