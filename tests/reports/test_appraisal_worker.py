"""The monthly scores job on a real Celery worker: the month that ended is scored for one bank,
a rerun is the same run, and a month whose last snapshot is missing fails with a readable reason."""

import datetime

import pytest

from ocrm.batch.models import JobRun
from reports.appraisal import services
from reports.appraisal.models import Score
from reports.appraisal.tasks import compute_kpi_scores
from tests.reports.factories_appraisal import NOV_END, make_scheme, november

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("english_staff")]


def test_the_worker_scores_the_month_once(celery_worker, org):
    make_scheme(org.bank_a)
    november(org)
    result = compute_kpi_scores.delay(business_date=NOV_END.isoformat(), bank_id=org.bank_a.pk).get(timeout=90)
    assert result["status"] == JobRun.Status.SUCCEEDED
    run = JobRun.objects.get(pk=result["job_run"])
    assert run.counts == {"kpi_scores": 3, "kpi_score_lines": 15}
    assert Score.objects.get(manager=org.manager).total == 87

    again = compute_kpi_scores.delay(business_date=NOV_END.isoformat(), bank_id=org.bank_a.pk).get(timeout=90)
    assert again["job_run"] == result["job_run"]
    assert Score.objects.count() == 3

    # September's last day has no snapshot: the run fails and says why.
    with pytest.raises(services.ScoringError):
        compute_kpi_scores.delay(business_date="2026-09-30", bank_id=org.bank_a.pk).get(timeout=90)
    run = JobRun.objects.get(job=services.JOB, business_date=datetime.date(2026, 9, 30))
    assert run.status == JobRun.Status.FAILED
    assert "no snapshot of 2026-09-30" in run.error_report
    assert not Score.objects.filter(period_start=datetime.date(2026, 9, 1)).exists()
    assert services.JOB == run.job
