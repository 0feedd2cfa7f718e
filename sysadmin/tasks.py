"""Celery tasks of sysadmin: thin wrappers that run a service of sysadmin/jobs.py inside
ocrm.batch.job_run. Scheduled by django-celery-beat rows (ocrm migration 0004), which
call them without arguments: business date = today (UTC), all banks.

Messages are acknowledged late (settings.CELERY_TASK_ACKS_LATE): a worker killed mid-job
leaves its message to be handed out again, and job_run resumes the same JobRun."""

from celery import shared_task

from ocrm.batch import job_run

from . import jobs

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


@shared_task(bind=True, name="sysadmin.tasks.purge_audit_log")
def purge_audit_log(self, business_date=None, bank_id=None, run_id=None):
    return _run(self, jobs.AUDIT_RETENTION, jobs.purge_audit_log, business_date, bank_id, run_id)


@shared_task(bind=True, name="sysadmin.tasks.send_password_expiry_notices")
def send_password_expiry_notices(self, business_date=None, bank_id=None, run_id=None):
    return _run(self, jobs.PASSWORD_EXPIRY_NOTICES, jobs.send_password_expiry_notices, business_date, bank_id, run_id)
