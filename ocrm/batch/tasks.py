"""Celery tasks of sysadmin: thin wrappers that run a service of ocrm/batch/jobs.py inside
ocrm.batch.runs.job_run. Scheduled by django-celery-beat rows (ocrm migration 0004), which
call them without arguments: business date = today (UTC), all banks.

Messages are acknowledged late (settings.CELERY_TASK_ACKS_LATE): a worker killed mid-job
leaves its message to be handed out again, and job_run resumes the same JobRun."""

from ocrm.batch import jobs
from ocrm.batch.runs import job_run

# A delivery that finds its run (or a bank's sub-run) held by another worker comes back
# after this long, and then finds the run finished (nothing to do) or free (its holder
# died: resume).
RETRY_HELD_RUN_SECONDS = 60


def _run(task, job, service, business_date, bank_id, run_id):
    """Run `service(business_date, bank_id=..., run=...)` once per run key; a delivery
    that finds the run held by another worker retries later instead of waiting."""
    business_date = jobs.parse_business_date(business_date)
    try:
        with job_run(job, bank_id=bank_id, business_date=business_date, task_id=task.request.id or "", run_id=run_id) as run:
            if run.running_elsewhere:
                raise task.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)
            if not run.already_done:
                service(business_date, bank_id=bank_id, run=run)
    except jobs.RunHeldElsewhere:
        raise task.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None) from None
    return run.summary()
