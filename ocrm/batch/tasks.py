"""The base of every batch task: `@shared_task(bind=True, base=BatchTask, name=...)`.

A batch task is a thin wrapper: it parses its arguments and calls one service inside a run.
BatchTask opens that run (ocrm.batch.runs.job_run, keyed job + bank + business date +
extra) with the delivery's task id and the person who started it, resumes a queued run the
jobs page created (run_id), returns at once when the run already succeeded, and retries
later when another live worker holds the run:

    @shared_task(bind=True, base=BatchTask, name="sysadmin.tasks.purge_audit_log")
    def purge_audit_log(self, business_date=None, bank_id=None, run_id=None):
        return self.run_per_bank(services.RETENTION, business_date, bank_id, run_id)

    @shared_task(bind=True, base=BatchTask, name="ocrm.tasks.purge_export_files")
    def purge_export_files(self, business_date=None):
        return self.run_once(JOB, lambda run: services.purge(run=run), business_date=parse_business_date(business_date))

Messages are acknowledged late and rejected when the worker is lost: a worker killed
mid-job leaves its message to be handed out again, and the run key brings the redelivery
back to the same JobRun. Beat rows call the tasks without arguments; their task names
(name=) never change."""

import contextlib

from celery import Task, shared_task

from ocrm.batch import per_bank, sweeper
from ocrm.batch.jobs import RunHeldElsewhere
from ocrm.batch.runs import job_run

# A delivery that finds its run (or a bank's sub-run) held by another worker comes back
# after this long, and then finds the run finished (nothing to do) or free (its holder
# died: resume).
RETRY_HELD_RUN_SECONDS = 60


class BatchTask(Task):
    acks_late = True
    reject_on_worker_lost = True

    @contextlib.contextmanager
    def job_run(self, job, **key):
        """job_run for this delivery (bank_id, business_date, key_extra, run_id, triggered_by as
        job_run takes them); a run held by another live worker retries the task later. The
        body still checks `run.already_done`."""
        with job_run(job, task_id=self.request.id or "", **key) as run:
            if run.running_elsewhere:
                raise self.retry_held()
            yield run

    def run_once(self, job, body, **key):
        """`body(run)` once per run key; the run's summary."""
        with self.job_run(job, **key) as run:
            if not run.already_done:
                body(run)
        return run.summary()

    def run_per_bank(self, job, business_date=None, bank_id=None, run_id=None):
        """ocrm.batch.per_bank.run_per_bank for a PerBankJob, as the beat (no arguments) or the
        jobs page (a business date, a bank or None for all, the queued run's id) calls it."""
        try:
            return per_bank.run_per_bank(job, business_date, bank_id, run_id=run_id, task_id=self.request.id or "")
        except RunHeldElsewhere:
            raise self.retry_held() from None

    def retry_held(self):
        """The retry of a delivery that found its run held elsewhere (raise what this returns)."""
        return self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)


@shared_task(name="ocrm.tasks.sweep_stale_runs")
def sweep_stale_runs():
    """Beat, every 5 minutes: queue again or fail the runs whose message was lost (ocrm.batch.sweeper).
    Not a run of its own: it would fill the jobs page with a row every 5 minutes."""
    return sweeper.sweep()
