"""Report measures of opportunities and prospects (ocrm.reporting): won opportunities (count,
and amount in minor units of the bank's base currency at the business date's middle rate) and
prospects converted, per branch and manager, for one bank and one local business date."""

from django.utils.translation import gettext_lazy

from customers.fx.services import MINOR_UNITS
from ocrm import reporting

# 10^(minor places) of the base currency: 100 unless the currency has another minor unit.
_MINOR_FACTOR = (
    "CASE bk.base_currency "
    + " ".join(f"WHEN '{code}' THEN {10**places}" for code, places in sorted(MINOR_UNITS.items()))
    + " ELSE 100 END"
)

WON_ON_THE_DAY = """FROM marketing_opportunity o JOIN sysadmin_staff s ON s.id = o.owner_id
                   WHERE o.bank_id = %(bank_id)s AND o.status = 'won'
                     AND o.closed_at >= %(day_start)s AND o.closed_at < %(day_end)s"""


def register_measures():
    reporting.register_measure(
        reporting.Measure(
            key="pipeline.opportunities_won",
            label=gettext_lazy("Opportunities won"),
            unit=reporting.Measure.COUNT,
            sql=f"SELECT s.branch_id, o.owner_id, count(*) AS value {WON_ON_THE_DAY} GROUP BY 1, 2",
        )
    )
    # A won amount in a currency without a middle rate on or before the date counts as nothing.
    reporting.register_measure(
        reporting.Measure(
            key="pipeline.opportunities_won_amount",
            label=gettext_lazy("Opportunities won (amount)"),
            unit=reporting.Measure.AMOUNT,
            sql=f"""SELECT s.branch_id, o.owner_id,
                           coalesce(sum(round(o.amount * CASE WHEN o.currency = bk.base_currency THEN 1 ELSE fx.rate END
                                              * {_MINOR_FACTOR}))::bigint, 0) AS value
                      FROM marketing_opportunity o
                      JOIN sysadmin_staff s ON s.id = o.owner_id
                      JOIN sysadmin_bank bk ON bk.id = o.bank_id
                      LEFT JOIN LATERAL (SELECT f.rate FROM customers_fxrate f
                                          WHERE f.bank_id = o.bank_id AND f.currency = o.currency
                                            AND f.as_of <= %(business_date)s
                                          ORDER BY f.as_of DESC, f.effective_at DESC LIMIT 1) fx ON true
                     WHERE o.bank_id = %(bank_id)s AND o.status = 'won'
                       AND o.closed_at >= %(day_start)s AND o.closed_at < %(day_end)s
                       AND (o.currency = bk.base_currency OR fx.rate IS NOT NULL)
                     GROUP BY 1, 2""",
        )
    )
    reporting.register_measure(
        reporting.Measure(
            key="prospects.converted",
            label=gettext_lazy("Prospects converted"),
            unit=reporting.Measure.COUNT,
            sql="""SELECT s.branch_id, p.closed_by_id, count(*) AS value
                     FROM marketing_prospect p JOIN sysadmin_staff s ON s.id = p.closed_by_id
                    WHERE p.bank_id = %(bank_id)s AND p.status = 'converted'
                      AND p.closed_at >= %(day_start)s AND p.closed_at < %(day_end)s
                    GROUP BY 1, 2""",
        )
    )
