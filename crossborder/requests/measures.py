"""The requests' figures for the nightly report snapshots (ocrm.reporting). Both count completed
requests by the day they were closed, for the SERVICING branch of the bank (the branch whose work
it was; the requesting side's figures are a corridor statistic, not a branch's output)."""

from django.utils.translation import gettext_lazy as _

from ocrm.reporting import Measure, register_measure

COMPLETED = Measure(
    key="crossborder.requests_completed",
    label=_("Cross-border requests completed"),
    unit=Measure.COUNT,
    sql="""SELECT r.to_branch_id AS branch_id, r.assigned_to_id AS manager_id, count(*) AS value
             FROM crossborder_crossborderrequest r
            WHERE r.to_bank_id = %(bank_id)s AND r.status = 'completed'
              AND r.closed_at >= %(day_start)s AND r.closed_at < %(day_end)s
            GROUP BY 1, 2""",
)

SLA_MET = Measure(
    key="crossborder.requests_sla_met",
    label=_("Cross-border requests completed within the service time"),
    unit=Measure.COUNT,
    sql="""SELECT r.to_branch_id AS branch_id, r.assigned_to_id AS manager_id, count(*) AS value
             FROM crossborder_crossborderrequest r
            WHERE r.to_bank_id = %(bank_id)s AND r.status = 'completed' AND r.closed_at <= r.due_at
              AND r.closed_at >= %(day_start)s AND r.closed_at < %(day_end)s
            GROUP BY 1, 2""",
)


def register():
    register_measure(COMPLETED)
    register_measure(SLA_MET)
