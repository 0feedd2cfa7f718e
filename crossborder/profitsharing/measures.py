"""Profit sharing's figures for the nightly report snapshots (ocrm.reporting): the shares of the
month's statements, booked on the month's last business date (the statements are computed the
night after the month end, before the snapshot's hour). Each line's share goes to its party's
branch (and manager) when that branch is the bank's, in minor units of the statement's currency,
counted only where that is the bank's base currency. A statement recomputed later does not alter
an earlier snapshot."""

from django.utils.translation import gettext_lazy as _

from ocrm.reporting import Measure, register_measure

_SHARES = """SELECT l.branch_id, l.manager_id, coalesce(sum(l.amount_minor), 0)::bigint AS value
               FROM crossborder_profitstatementline l
               JOIN crossborder_profitstatement st ON st.id = l.statement_id
               JOIN sysadmin_branch b ON b.id = l.branch_id AND b.bank_id = %(bank_id)s
               JOIN sysadmin_bank bk ON bk.id = b.bank_id
              WHERE l.side = '{side}' AND st.currency = bk.base_currency
                AND st.period = date_trunc('month', %(business_date)s::date)::date
                AND %(business_date)s::date = (date_trunc('month', %(business_date)s::date)
                                               + interval '1 month - 1 day')::date
              GROUP BY 1, 2"""

ORIGINATING = Measure(
    key="profitsharing.originating_share",
    label=_("Profit shares as originating side"),
    unit=Measure.AMOUNT,
    sql=_SHARES.format(side="originating"),
)

SERVICING = Measure(
    key="profitsharing.servicing_share",
    label=_("Profit shares as servicing side"),
    unit=Measure.AMOUNT,
    sql=_SHARES.format(side="servicing"),
)


def register():
    register_measure(ORIGINATING)
    register_measure(SERVICING)
