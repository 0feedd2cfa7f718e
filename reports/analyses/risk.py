"""Potential risk (潜在风险分析), for the credit side: the loans whose borrower's deposits are
falling or whose instalments are late, on a business date D.

* instalment late: the loan (a holding of a product of type loan, active, with a balance) has its
  next instalment date before D;
* deposits falling: the borrower's AUM in the snapshot of D is at least FALL_PERCENT % below
  the AUM of the comparison date (the latest snapshot on or before D − 30 days).

Loans are read through the borrower: only customers in Customer.objects.visible_to(user), within
the branch filter. The loan's own state is today's (the instalment schedule is not snapshotted);
the deposit trend is the snapshots'."""

import dataclasses
import datetime
from decimal import Decimal

from django.db import connection

from ocrm import pii
from reports.analyses.churn import COMPARE_DAYS, snapshot_on_or_before
from reports.analyses.sql import sort_in_memory

FALL_PERCENT = 20


@dataclasses.dataclass
class LoanRisk:
    holding_id: int
    customer_id: int
    account_number: str
    currency: str
    balance: Decimal
    next_instalment_date: datetime.date | None
    next_instalment_amount: Decimal | None
    aum: Decimal | None
    prev_aum: Decimal | None
    days_late: int | None
    deposits_falling: bool
    customer: object = None

    @property
    def account_masked(self):
        """The account number as lists and exports show it (its last digits: ocrm.pii)."""
        return pii.mask(self.account_number, pii.ACCOUNT)

    @property
    def late(self):
        return bool(self.days_late and self.days_late > 0)

    @property
    def aum_change(self):
        """The change of the borrower's AUM as a share of the earlier AUM, or None."""
        if not self.prev_aum or self.aum is None:
            return None
        return (self.aum - self.prev_aum) / self.prev_aum


def risky_loans_sql(bank_id, day, visible, branch=None):
    compare_day = snapshot_on_or_before(bank_id, day - datetime.timedelta(days=COMPARE_DAYS))
    visible_sql, visible_params = visible.order_by().values("pk").query.sql_with_params()
    branch_sql, branch_params = "", []
    if branch is not None:
        branch_sql = "AND c.branch_id IN (SELECT b.id FROM sysadmin_branch b WHERE b.bank_id = %s AND b.path LIKE %s)"
        branch_params = [bank_id, branch.path + "%"]
    sql = f"""
        SELECT * FROM (
            SELECT h.id, h.customer_id, h.account_number, h.currency, h.balance,
                   h.next_instalment_date, h.next_instalment_amount, cur.aum, prev.aum AS prev_aum,
                   CASE WHEN h.next_instalment_date < %s THEN %s - h.next_instalment_date END AS days_late,
                   coalesce(prev.aum > 0 AND cur.aum <= prev.aum * (100 - {FALL_PERCENT}) / 100.0, false) AS falling
            FROM customers_holding h
            JOIN customers_product p ON p.id = h.product_id
            JOIN customers_customer c ON c.id = h.customer_id
            LEFT JOIN reports_customerday cur
                   ON cur.bank_id = %s AND cur.business_date = %s AND cur.customer_id = h.customer_id
            LEFT JOIN reports_customerday prev
                   ON prev.bank_id = %s AND prev.business_date = %s AND prev.customer_id = h.customer_id
            WHERE h.bank_id = %s AND p.product_type = 'loan' AND h.status = 'active' AND h.balance > 0
              AND h.customer_id IN ({visible_sql}) {branch_sql}
        ) r
        WHERE r.days_late > 0 OR r.falling
    """
    params = [day, day, bank_id, day, bank_id, compare_day, bank_id, *visible_params, *branch_params]
    return sql, params, compare_day


def risky_loans(bank_id, day, visible, branch=None, *, limit=None, offset=0):
    """([LoanRisk] most days late first, then the steepest fall; the comparison date)."""
    if bank_id is None or day is None:
        return [], None
    sql, params, compare_day = risky_loans_sql(bank_id, day, visible, branch)
    sql += " ORDER BY r.days_late DESC NULLS LAST, (r.aum - r.prev_aum) / NULLIF(r.prev_aum, 0) NULLS LAST, r.id"
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    sort_in_memory()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [LoanRisk(*row[:10], deposits_falling=row[10]) for row in cursor.fetchall()]
    return rows, compare_day


def count_risky_loans(bank_id, day, visible, branch=None):
    """(loans late, loans whose borrower's deposits fall, loans listed)."""
    if bank_id is None or day is None:
        return 0, 0, 0
    sql, params, _compare = risky_loans_sql(bank_id, day, visible, branch)
    sort_in_memory()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE q.days_late > 0), count(*) FILTER (WHERE q.falling), count(*) FROM ({sql}) q",
            params,
        )
        return cursor.fetchone()
