"""Service requests' figures for the nightly report snapshots (ocrm.reporting): requests opened
(created) and completed on the bank's local business day. Opened is booked on the creator, completed
on the person who completed the last step (the status log's `status:completed` entry), each on
that person's branch; an entry without a person (a channel's callback) goes to the head office."""

from django.utils.translation import gettext_lazy as _

from ocrm.reporting import Measure, register_measure

OPENED = Measure(
    key="servicerequests.opened",
    label=_("Service requests opened"),
    unit=Measure.COUNT,
    sql="""SELECT s.branch_id, r.created_by_id AS manager_id, count(*) AS value
             FROM workbench_servicerequest r LEFT JOIN sysadmin_staff s ON s.id = r.created_by_id
            WHERE r.bank_id = %(bank_id)s
              AND r.created_at >= %(day_start)s AND r.created_at < %(day_end)s
            GROUP BY 1, 2""",
)

COMPLETED = Measure(
    key="servicerequests.completed",
    label=_("Service requests completed"),
    unit=Measure.COUNT,
    sql="""SELECT s.branch_id, e.actor_id AS manager_id, count(*) AS value
             FROM workbench_servicerequestlogentry e
             JOIN workbench_servicerequest r ON r.id = e.request_id
             LEFT JOIN sysadmin_staff s ON s.id = e.actor_id
            WHERE r.bank_id = %(bank_id)s AND e.event = 'status:completed'
              AND e.at >= %(day_start)s AND e.at < %(day_end)s
            GROUP BY 1, 2""",
)


def register():
    register_measure(OPENED)
    register_measure(COMPLETED)
