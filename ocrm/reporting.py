"""Measures the apps contribute to the nightly report snapshots (a registry; the kernel names no app).

Reports (the top layer) builds immutable snapshots per bank and business date. Figures owned by
other apps — campaign responses and conversions, won opportunities, service requests completed,
cross-border requests and revenue shared — reach the snapshots through this registry, so reports
never reads another app's tables. Each app registers its measures from AppConfig.ready():

    reporting.register_measure(Measure(
        key="campaigns.conversions",
        label=_("Campaign conversions"),
        unit=Measure.COUNT,
        sql='''SELECT c.branch_id, c.manager_id, count(*) AS value
                 FROM marketing_marketingcredit c
                WHERE c.bank_id = %(bank_id)s AND c.source = 'campaign'
                  AND c.credited_on = %(business_date)s
                GROUP BY 1, 2''',
    ))

The SQL is one SELECT returning exactly (branch_id, manager_id, value) for one bank and one
business date: parameters %(bank_id)s, %(business_date)s (the bank's local date) and
%(day_start)s / %(day_end)s (that local day as UTC instants). manager_id may be NULL for figures
that belong to a branch only. Amounts are in minor units of the bank's base currency (bigint).
`version` is stamped on every snapshot row the measure produces: raise it when the SQL's
meaning changes, so old and new rows are never compared as if alike."""

from dataclasses import dataclass

_MEASURES = {}


@dataclass(frozen=True)
class Measure:
    COUNT = "count"
    AMOUNT = "amount"  # minor units of the bank's base currency

    key: str
    label: str
    unit: str
    sql: str
    version: int = 1


def register_measure(measure):
    if measure.unit not in (Measure.COUNT, Measure.AMOUNT):
        raise ValueError(f"unknown unit {measure.unit!r} for measure {measure.key}")
    _MEASURES[measure.key] = measure


def measures():
    return [_MEASURES[key] for key in sorted(_MEASURES)]


def measure(key):
    return _MEASURES[key]
