"""Loading one feed file: stage it, then check and upsert it set-based.

1. stage(): the file is streamed through the cell checks of reading.py and COPYed, in chunks,
   into an UNLOGGED staging table feed_stage_<load id> (all text; a row that failed a cell
   check carries its errors as JSON). Production is not touched; after each chunk the JobRun
   shows how far it got.
2. apply(), in ONE transaction: cell errors go to FeedError; the cross-row checks (duplicate
   keys in the file, unknown or unresolved customers, products, branches, accounts, exchange
   rates) run in SQL over the staged rows and add their errors; the remaining rows are upserted
   into production with INSERT ... ON CONFLICT keyed by (bank, source system, source key), and
   what a corrected re-delivery replaces is deleted first. A killed worker rolls all of it back:
   the rerun starts from the file again and writes every row exactly once."""

import json
import os
import time

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl.utils import get_column_letter

from customers.ecif.feeds import copying
from customers.ecif.feeds.reading import CHECKS, COUNTRY_CODES, CellError, check_phone
from ocrm import pii, tenants
from ocrm.imports import readers

STAGE_CHUNK_ROWS = 50_000


ANALYSE_AFTER_ROWS = 1000


NOT_EMPTY = gettext_noop("required, but empty")


UNIQUE_VIOLATION = "23505"


class Context:
    """What a load knows besides the file: its bank, stamp and defaults."""

    def __init__(self, load, bank):
        self.load = load
        self.bank_id = bank.pk
        self.source_system = load.source_system
        self.business_date = load.business_date
        self.default_region = str(bank.head_office_country or "") or None
        self.base_currency = bank.base_currency

    def params(self, **extra):
        return {"bank": self.bank_id, "source": self.source_system, "date": self.business_date, "load": self.load.pk, **extra}


def stage_table(load):
    return f"feed_stage_{int(load.pk)}"


def stage_columns(spec):
    keys = [c.key for c in spec.data_columns]
    if "id_number" in keys:  # the clear number never reaches the database
        keys.remove("id_number")
        keys += ["id_hash", "id_enc", "id_masked"]
    return keys


def _shown(key, text):
    """A rejected cell as the error report shows it: identity numbers and phones masked."""
    if key == "id_number":
        return pii.mask_id(text)
    if key == "phone":
        return pii.mask_phone(text)
    return text[:200]


def _contact_value(kind, text, region, col, values):
    if kind in ("mobile", "phone"):
        return check_phone(col, text, values, region)
    if kind == "email":
        return CHECKS["email"](col, text, values)
    return CHECKS["text"](col, text, values)


def check_row(spec, values, ctx):
    """The row's staged values and its errors [(field, shown value, reason)]."""
    out, errors = {}, []
    region = (values.get("nationality") or values.get("country") or "").upper()
    region = region if region in COUNTRY_CODES else ctx.default_region
    for col in spec.columns:
        text = values.get(col.key, "")
        if not text:
            if col.required:
                errors.append((col.key, "", _(NOT_EMPTY)))
            out[col.key] = ""
            continue
        try:
            if col.kind == "phone":
                value = check_phone(col, text, values, region)
            elif spec.feed == "contacts" and col.key == "value":
                value = _contact_value(values.get("kind"), text, region, col, values)
            else:
                value = CHECKS[col.kind](col, text, values)
        except CellError as exc:
            errors.append((col.key, _shown(col.key, text), str(exc)))
            value = ""
        out[col.key] = value
    if out.get("source_system") and out["source_system"] != ctx.source_system:
        errors.append(
            (
                "source_system",
                out["source_system"],
                _("differs from the file's source system %(source)s") % {"source": ctx.source_system},
            )
        )
    if out.get("business_date") and out["business_date"] != ctx.business_date.isoformat():
        errors.append(
            (
                "business_date",
                out["business_date"],
                _("differs from the file's business date %(date)s") % {"date": ctx.business_date},
            )
        )
    if "id_number" in out:
        number = out.pop("id_number")
        if number and spec.feed == "customers" and not out.get("id_type"):
            errors.append(("id_type", "", _("required when id_number is given")))
        out["id_hash"] = pii.keyed_hash(number) if number else ""
        out["id_enc"] = pii.encrypt(number) if number else ""
        out["id_masked"] = pii.mask_id(number) if number else ""
    return out, errors


def open_feed_file(path, spec, bank_id):
    """The feed file, opened by the kernel's reader (ocrm.imports.readers.SheetFile). A CSV of any
    size is streamed; a workbook, read whole, may not be larger than an upload."""
    try:
        return readers.SheetFile(path, spec, max_bytes=readers.upload_limit(bank_id))
    except readers.FileTooLarge as exc:
        advice = _("Send large feeds as CSV.")
        raise readers.FileRejected(f"{exc} {advice}") from exc


def stray_cell(position):
    """The row error of a value under no column name (the row is rejected, not the file)."""
    return _("this row has a value in column %(column)s, which has no column name") % {"column": get_column_letter(position + 1)}


def stage(load, spec, path, ctx, run):
    """Read, check and COPY the file into the staging table. Returns (feed file, rows read).
    FileRejected (ocrm.imports.readers) when the file as a whole cannot be read."""
    table = stage_table(load)
    keys = stage_columns(spec)
    columns = ", ".join(["row_no bigint", *[f"{key} text" for key in keys], "errors text"])
    chunk_rows = int(os.environ.get("OCRM_BATCH_CHUNK_SIZE") or STAGE_CHUNK_ROWS)
    delay = float(os.environ.get("OCRM_BATCH_CHUNK_DELAY") or 0)  # tests slow a load down to kill it
    feed_file = open_feed_file(path, spec, ctx.bank_id)
    if copying.eligible(spec, feed_file):
        read = copying.stage_by_copy(load, spec, path, ctx, run, feed_file, table)
        if read is not None:
            with connection.cursor() as cursor:
                analyse_stage(cursor, table)
            return feed_file, read
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE UNLOGGED TABLE {table} ({columns})")
        copy_sql = f"COPY {table} (row_no, {', '.join(keys)}, errors) FROM STDIN"
        read = 0
        buffer = []

        def flush():
            with cursor.cursor.copy(copy_sql) as copy:
                for row in buffer:
                    copy.write_row(row)
            buffer.clear()
            run.count(read=read)
            run.set_progress(feed_file.bytes_read)
            if delay:
                time.sleep(delay)

        for row_no, values, stray in feed_file.rows():
            out, errors = check_row(spec, values, ctx)
            if stray is not None:
                errors.append(("—", "", stray_cell(stray)))
            buffer.append(
                (row_no, *[out.get(key, "") for key in keys], json.dumps(errors, ensure_ascii=False) if errors else None)
            )
            read += 1
            if len(buffer) >= chunk_rows:
                flush()
        if buffer or not read:
            flush()
        # Fresh tables have no statistics: without them the planner picks nested loops over thousands of rows.
        analyse_stage(cursor, table)
    return feed_file, read


def analyse_stage(cursor, table):
    """Statistics for a fresh staging table, from a small sample: what the joins over it are planned
    on (row count, share of rows with errors, rough distinct keys) needs no more than 3,000 rows, and
    the default sample (30,000) read every page of a 500k-row file."""
    with transaction.atomic():
        # Set back afterwards: inside the load's transaction the production tables are analysed later on.
        cursor.execute("SELECT current_setting('default_statistics_target'), set_config('default_statistics_target', '10', true)")
        target = cursor.fetchone()[0]
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [target])


def drop_stage(load):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage_table(load)}")
        cursor.execute(f"DROP TABLE IF EXISTS {copying.raw_table(load)}")
        cursor.execute(f"DROP TABLE IF EXISTS {copying.clean_table(load)}")


def record_cell_errors(cursor, load):
    cursor.execute(
        f"""INSERT INTO customers_feederror (load_id, row_number, field, value, reason)
            SELECT %(load)s, s.row_no, left(e->>0, 40), left(e->>1, 200), left(e->>2, 300)
            FROM {stage_table(load)} s, jsonb_array_elements(s.errors::jsonb) e
            WHERE s.errors IS NOT NULL""",
        {"load": load.pk},
    )


def check_rows(cursor, ctx, select_sql, checks, params):
    """Materialise the staged rows without cell errors, joined to what they refer to, as the
    temporary table feed_rows; record every failed cross-row check (field, value expression,
    reason, bad-condition) in FeedError and drop those rows. Returns the rows left."""
    params = dict(params)
    cursor.execute("DROP TABLE IF EXISTS feed_rows")
    cursor.execute(f"CREATE TEMP TABLE feed_rows ON COMMIT DROP AS {select_sql}", params)
    kept = cursor.rowcount
    analyse_stage(cursor, "feed_rows")  # autovacuum never analyses temporary tables
    if checks:
        values = []
        for index, (field, value_sql, reason, condition) in enumerate(checks):
            params[f"field{index}"] = field
            params[f"reason{index}"] = str(reason)
            values.append(f"(%(field{index})s, ({value_sql})::text, %(reason{index})s, ({condition}))")
        any_bad = " OR ".join(f"({condition})" for _field, _value, _reason, condition in checks)
        cursor.execute(
            f"""INSERT INTO customers_feederror (load_id, row_number, field, value, reason)
                SELECT %(load)s, r.row_no, v.field, left(coalesce(v.value, ''), 200), v.reason
                FROM (SELECT * FROM feed_rows WHERE {any_bad}) r
                CROSS JOIN LATERAL (VALUES {", ".join(values)}) v(field, value, reason, bad)
                WHERE v.bad""",
            params,
        )
        if cursor.rowcount:
            cursor.execute(f"DELETE FROM feed_rows WHERE {any_bad}", params)
            kept -= cursor.rowcount
    return kept


def reject_duplicates(cursor, ctx, field, what):
    """Record every copy of a `field` value that appears more than once in feed_rows, and drop
    them (the same error as _duplicate_check). Returns the rows dropped. For the transactions
    feed: one hash aggregate over the file's ids (its partitioned table's unique key holds the
    time as well, so it no longer finds an id twice in a file by itself)."""
    cursor.execute("DROP TABLE IF EXISTS feed_duplicates")
    cursor.execute(
        f"CREATE TEMP TABLE feed_duplicates ON COMMIT DROP AS SELECT {field} FROM feed_rows GROUP BY {field} HAVING count(*) > 1"
    )
    if not cursor.rowcount:
        return 0
    _field, _value, reason, _condition = _duplicate_check(field, what)
    cursor.execute(
        f"""
        INSERT INTO customers_feederror (load_id, row_number, field, value, reason)
        SELECT %(load)s, r.row_no, %(field)s, left(r.{field}, 200), %(reason)s
        FROM feed_rows r JOIN feed_duplicates d USING ({field})""",
        ctx.params(field=field, reason=str(reason)),
    )
    cursor.execute(f"DELETE FROM feed_rows r USING feed_duplicates d WHERE r.{field} = d.{field}")
    return cursor.rowcount


def _customer_checks(ctx):
    return [
        (
            "customer_key",
            "customer_key",
            _("unknown customer: this key is not in the customer feed of %(source)s") % {"source": ctx.source_system},
            "record_id IS NULL",
        ),
        (
            "customer_key",
            "customer_key",
            _(
                "the customer record is not resolved to a customer yet (matching pending "
                "or waiting for review); send the row again once it is"
            ),
            "record_id IS NOT NULL AND customer_id IS NULL",
        ),
    ]


def _duplicate_check(field, what):
    return (field, field, _("%(what)s appears more than once in this file; every copy is rejected") % {"what": what}, "dup > 1")


SOURCE_RECORD_JOIN = """LEFT JOIN customers_sourcerecord sr ON sr.bank_id = %(bank)s AND sr.source_system = %(source)s
                        AND sr.source_key = s.customer_key"""


BRANCH_JOIN = "LEFT JOIN sysadmin_branch b ON b.bank_id = %(bank)s AND b.code = s.branch_code AND s.branch_code <> ''"


def analyse_if_grown(cursor, table, changed):
    """Refresh the statistics of a production table a load has just changed a lot, before anything
    joins to it (autovacuum comes minutes later: the next feed of the night must not plan on stale ones)."""
    if changed >= ANALYSE_AFTER_ROWS:
        cursor.execute(f"ANALYZE {table}")


def load_customers(cursor, load, ctx, run):
    kept = check_rows(
        cursor,
        ctx,
        f"""
        SELECT s.*, b.id AS branch_found, count(*) OVER (PARTITION BY s.customer_key) AS dup
        FROM {stage_table(load)} s {BRANCH_JOIN} WHERE s.errors IS NULL""",
        [
            _duplicate_check("customer_key", "customer_key"),
            ("branch_code", "branch_code", _("unknown branch code"), "branch_code <> '' AND branch_found IS NULL"),
        ],
        ctx.params(),
    )
    compared = (
        "kind",
        "name_local",
        "name_latin",
        "gender",
        "birth_date",
        "nationality",
        "id_type",
        "id_number_hash",
        "id_number_masked",
        "registration_code",
        "phone",
        "email",
        "address",
        "branch_code",
    )
    cursor.execute(
        f"""
        INSERT INTO customers_sourcerecord AS t (bank_id, source_system, source_key, business_date, kind, name_local,
            name_latin, gender, birth_date, nationality, id_type, id_number_hash, id_number_encrypted,
            id_number_masked, registration_code, phone, email, address, branch_code, match_status,
            loaded_by_run_id, updated_at)
        SELECT %(bank)s, %(source)s, customer_key, %(date)s, kind, name, name_latin, gender,
               NULLIF(birth_date, '')::date, nationality, id_type, id_hash, id_enc, id_masked, registration_code,
               phone, email, address, branch_code, 'unresolved', %(run)s, now()
        FROM feed_rows
        ON CONFLICT (bank_id, source_system, source_key) DO UPDATE SET
            business_date = EXCLUDED.business_date, id_number_encrypted = EXCLUDED.id_number_encrypted,
            {", ".join(f"{c} = EXCLUDED.{c}" for c in compared)},
            match_status = 'unresolved', loaded_by_run_id = EXCLUDED.loaded_by_run_id, updated_at = now()
        -- An older business date never overwrites a newer one; an unchanged record stays as it is.
        WHERE t.business_date <= EXCLUDED.business_date
          AND ({", ".join(f"t.{c}" for c in compared)}) IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in compared)})
    """,
        ctx.params(run=run.id),
    )
    changed = cursor.rowcount
    analyse_if_grown(cursor, "customers_sourcerecord", changed)
    return kept, changed


def load_identities(cursor, load, ctx, run):
    kept = check_rows(
        cursor,
        ctx,
        f"""
        SELECT s.*, sr.id AS record_id, sr.customer_id,
               count(*) OVER (PARTITION BY s.customer_key, s.doc_type) AS dup
        FROM {stage_table(load)} s {SOURCE_RECORD_JOIN} WHERE s.errors IS NULL""",
        [
            *_customer_checks(ctx),
            _duplicate_check("doc_type", "customer_key + doc_type"),
        ],
        ctx.params(),
    )
    cursor.execute(
        """
        INSERT INTO customers_identitydocument AS t (bank_id, customer_id, doc_type, number_hash, number_encrypted,
            number_masked, issuing_country, expiry_date, is_primary, source_system, source_key)
        SELECT %(bank)s, customer_id, doc_type, id_hash, id_enc, id_masked, issuing_country,
               NULLIF(expiry_date, '')::date, COALESCE(NULLIF(is_primary, '')::boolean, true), %(source)s,
               customer_key || '/' || doc_type
        FROM feed_rows
        ON CONFLICT (bank_id, source_system, source_key) WHERE source_key <> '' DO UPDATE SET
            customer_id = EXCLUDED.customer_id, number_hash = EXCLUDED.number_hash,
            number_encrypted = EXCLUDED.number_encrypted, number_masked = EXCLUDED.number_masked,
            issuing_country = EXCLUDED.issuing_country, expiry_date = EXCLUDED.expiry_date,
            is_primary = EXCLUDED.is_primary
        WHERE (t.customer_id, t.number_hash, t.issuing_country, t.expiry_date, t.is_primary)
              IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.number_hash, EXCLUDED.issuing_country,
                                EXCLUDED.expiry_date, EXCLUDED.is_primary)
    """,
        ctx.params(),
    )
    return kept, cursor.rowcount


def load_contacts(cursor, load, ctx, run):
    kept = check_rows(
        cursor,
        ctx,
        f"""
        SELECT s.*, sr.id AS record_id, sr.customer_id, count(*) OVER (PARTITION BY s.customer_key, s.kind) AS dup
        FROM {stage_table(load)} s {SOURCE_RECORD_JOIN} WHERE s.errors IS NULL""",
        [
            *_customer_checks(ctx),
            _duplicate_check("kind", "customer_key + kind"),
        ],
        ctx.params(),
    )
    cursor.execute(
        """
        INSERT INTO customers_contactpoint AS t (bank_id, customer_id, kind, value, is_primary, is_verified, opted_out,
            source_system, source_key)
        SELECT %(bank)s, customer_id, kind, value, COALESCE(NULLIF(is_primary, '')::boolean, false), false,
               COALESCE(NULLIF(opted_out, '')::boolean, false), %(source)s, customer_key || '/' || kind
        FROM feed_rows
        ON CONFLICT (bank_id, source_system, source_key) WHERE source_key <> '' DO UPDATE SET
            customer_id = EXCLUDED.customer_id, value = EXCLUDED.value, is_primary = EXCLUDED.is_primary,
            opted_out = EXCLUDED.opted_out,
            is_verified = CASE WHEN t.value = EXCLUDED.value THEN t.is_verified ELSE false END
        WHERE (t.customer_id, t.value, t.is_primary, t.opted_out)
              IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.value, EXCLUDED.is_primary, EXCLUDED.opted_out)
    """,
        ctx.params(),
    )
    return kept, cursor.rowcount


def load_holdings(cursor, load, ctx, run):
    cursor.execute("DROP TABLE IF EXISTS feed_fx")
    cursor.execute(
        """
        CREATE TEMP TABLE feed_fx ON COMMIT DROP AS
        SELECT DISTINCT ON (currency) currency, rate FROM customers_fxrate
        WHERE bank_id = %(bank)s AND as_of <= %(date)s ORDER BY currency, as_of DESC, effective_at DESC""",
        ctx.params(),
    )
    kept = check_rows(
        cursor,
        ctx,
        f"""
        SELECT s.*, sr.id AS record_id, sr.customer_id, p.id AS product_id, b.id AS branch_found,
               h.id AS holding_id, h.source_system AS holding_source,
               CASE WHEN s.currency = %(base)s THEN 1 ELSE fx.rate END AS fx_rate,
               count(*) OVER (PARTITION BY s.account_number) AS dup
        FROM {stage_table(load)} s {SOURCE_RECORD_JOIN} {BRANCH_JOIN}
        LEFT JOIN customers_product p ON p.bank_id = %(bank)s AND p.code = s.product_code
        LEFT JOIN customers_holding h ON h.bank_id = %(bank)s AND h.account_number = s.account_number
        LEFT JOIN feed_fx fx ON fx.currency = s.currency
        WHERE s.errors IS NULL""",
        [
            *_customer_checks(ctx),
            ("product_code", "product_code", _("unknown product code"), "product_id IS NULL"),
            ("branch_code", "branch_code", _("unknown branch code"), "branch_code <> '' AND branch_found IS NULL"),
            (
                "account_number",
                "holding_source",
                _("the account belongs to another source system (shown as the value)"),
                "holding_id IS NOT NULL AND holding_source <> %(source)s",
            ),
            (
                "currency",
                "currency",
                _("no exchange rate to the base currency on or before the business date"),
                "fx_rate IS NULL",
            ),
            _duplicate_check("account_number", "account_number"),
        ],
        ctx.params(base=ctx.base_currency),
    )
    # Current attributes and balance follow the newest business date only.
    cursor.execute(
        """
        INSERT INTO customers_holding AS t (bank_id, customer_id, product_id, branch_id, account_number, currency,
            balance, open_date, maturity_date, rate, status, source_system)
        SELECT %(bank)s, customer_id, product_id, branch_found, account_number, currency, balance::numeric,
               NULLIF(open_date, '')::date, NULLIF(maturity_date, '')::date, NULLIF(rate, '')::numeric,
               COALESCE(NULLIF(status, ''), 'active'), %(source)s
        FROM feed_rows
        ON CONFLICT (bank_id, account_number) DO UPDATE SET
            customer_id = EXCLUDED.customer_id, product_id = EXCLUDED.product_id, branch_id = EXCLUDED.branch_id,
            currency = EXCLUDED.currency, balance = EXCLUDED.balance, open_date = EXCLUDED.open_date,
            maturity_date = EXCLUDED.maturity_date, rate = EXCLUDED.rate, status = EXCLUDED.status
        WHERE t.source_system = EXCLUDED.source_system
          AND NOT EXISTS (SELECT 1 FROM customers_holdingbalance hb
                          WHERE hb.holding_id = t.id AND hb.business_date > %(date)s)
          AND (t.customer_id, t.product_id, t.branch_id, t.currency, t.balance, t.open_date, t.maturity_date, t.rate,
               t.status)
              IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.product_id, EXCLUDED.branch_id, EXCLUDED.currency,
                                EXCLUDED.balance, EXCLUDED.open_date, EXCLUDED.maturity_date, EXCLUDED.rate,
                                EXCLUDED.status)
    """,
        ctx.params(),
    )
    changed = cursor.rowcount
    analyse_if_grown(cursor, "customers_holding", changed)
    # The business date's balances are replaced: an account missing from this delivery loses its balance of the day.
    cursor.execute(
        """
        DELETE FROM customers_holdingbalance hb USING customers_holding h
        WHERE hb.holding_id = h.id AND h.bank_id = %(bank)s AND h.source_system = %(source)s
          AND hb.business_date = %(date)s
          AND NOT EXISTS (SELECT 1 FROM feed_rows r WHERE r.account_number = h.account_number)""",
        ctx.params(),
    )
    changed += cursor.rowcount
    cursor.execute(
        """
        INSERT INTO customers_holdingbalance AS t (bank_id, customer_id, holding_id, business_date, balance,
            balance_base)
        SELECT %(bank)s, h.customer_id, h.id, %(date)s, r.balance::numeric, round(r.balance::numeric * r.fx_rate, 2)
        FROM feed_rows r JOIN customers_holding h ON h.bank_id = %(bank)s AND h.account_number = r.account_number
        ON CONFLICT (bank_id, holding_id, business_date) DO UPDATE SET
            customer_id = EXCLUDED.customer_id, balance = EXCLUDED.balance, balance_base = EXCLUDED.balance_base
        WHERE (t.customer_id, t.balance, t.balance_base)
              IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.balance, EXCLUDED.balance_base)
    """,
        ctx.params(),
    )
    return kept, changed + cursor.rowcount


def load_transactions(cursor, load, ctx, run):
    kept = check_rows(
        cursor,
        ctx,
        f"""
        SELECT s.*, sr.id AS record_id, sr.customer_id, h.id AS holding_id, h.customer_id AS holding_customer
        FROM {stage_table(load)} s {SOURCE_RECORD_JOIN}
        LEFT JOIN customers_holding h ON h.bank_id = %(bank)s AND h.account_number = s.account_number
        WHERE s.errors IS NULL""",
        [
            *_customer_checks(ctx),
            ("account_number", "account_number", _("unknown account: no holding with this account number"), "holding_id IS NULL"),
            (
                "account_number",
                "account_number",
                _("the account belongs to another customer"),
                "holding_id IS NOT NULL AND customer_id IS NOT NULL AND holding_customer <> customer_id",
            ),
        ],
        ctx.params(),
    )
    kept -= reject_duplicates(cursor, ctx, "txn_id", "txn_id")  # a txn_id twice in the file: every copy is refused
    # The delivery of this source and business date is replaced as a whole.
    cursor.execute(
        "DELETE FROM customers_transaction WHERE bank_id = %(bank)s AND source_system = %(source)s AND business_date = %(date)s",
        ctx.params(),
    )
    try:
        # Almost always every txn_id is new: a plain INSERT, in a savepoint, is the cheap way to find out.
        with transaction.atomic():
            cursor.execute(f"INSERT INTO customers_transaction AS t ({TXN_COLUMNS}) {TXN_ROWS}", ctx.params())
            return kept, cursor.rowcount
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
    # A txn_id delivered before under another business date, at the same time: it moves to this one.
    cursor.execute(
        f"""
        INSERT INTO customers_transaction AS t ({TXN_COLUMNS}) {TXN_ROWS}
        ON CONFLICT (bank_id, source_system, source_txn_id, occurred_at) WHERE source_txn_id <> '' DO UPDATE SET
            customer_id = EXCLUDED.customer_id, holding_id = EXCLUDED.holding_id,
            occurred_at = EXCLUDED.occurred_at, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
            direction = EXCLUDED.direction, channel = EXCLUDED.channel, txn_type = EXCLUDED.txn_type,
            description = EXCLUDED.description, customer_initiated = EXCLUDED.customer_initiated,
            business_date = EXCLUDED.business_date
    """,
        ctx.params(),
    )
    return kept, cursor.rowcount


TXN_COLUMNS = """bank_id, customer_id, holding_id, occurred_at, amount, currency, direction, channel, txn_type,
                 description, is_financial, customer_initiated, source_system, source_txn_id, business_date"""


TXN_ROWS = """SELECT %(bank)s, customer_id, holding_id, occurred_at::timestamptz, amount::numeric, currency, direction,
                     channel, txn_type, description, true, channel <> 'batch', %(source)s, txn_id, %(date)s
              FROM feed_rows"""


def load_fx_rates(cursor, load, ctx, run):
    """The rate board's postings (customers.fx): the whole file or nothing. Every row is checked
    (cells, the base currency, buying rates at or below the middle rate and selling rates at or
    above it, the effective time on the file's business date, a currency and time twice in the
    file); when any row of the file is rejected, no rate of it is posted."""
    zone = tenants.zone_key(tenants.bank_zone(ctx.bank_id))
    kept = check_rows(
        cursor,
        ctx,
        f"""
        SELECT r.*, count(*) OVER (PARTITION BY r.currency, r.eff) AS dup,
               (r.eff AT TIME ZONE %(zone)s)::date AS eff_date
        FROM (SELECT s.*, s.middle_rate::numeric AS mid,
                     NULLIF(s.buy_transfer, '')::numeric AS bt, NULLIF(s.sell_transfer, '')::numeric AS st,
                     NULLIF(s.buy_cash, '')::numeric AS bc, NULLIF(s.sell_cash, '')::numeric AS sc,
                     COALESCE(NULLIF(s.effective_at, '')::timestamptz,
                              %(date)s::date::timestamp AT TIME ZONE %(zone)s) AS eff
              FROM {stage_table(load)} s WHERE s.errors IS NULL) r""",
        [
            ("currency", "currency", _("the bank's base currency has no rate against itself"), "currency = %(base)s"),
            ("buy_transfer", "buy_transfer", _("a buying rate may not be above the middle rate"), "bt > mid"),
            ("buy_cash", "buy_cash", _("a buying rate may not be above the middle rate"), "bc > mid"),
            ("sell_transfer", "sell_transfer", _("a selling rate may not be below the middle rate"), "st < mid"),
            ("sell_cash", "sell_cash", _("a selling rate may not be below the middle rate"), "sc < mid"),
            (
                "effective_at",
                "effective_at",
                _("the effective time falls on another business date than the file's (in the bank's head-office zone)"),
                "eff_date <> %(date)s::date",
            ),
            (
                "currency",
                "currency",
                _("this currency appears more than once in this file with the same effective time; every copy is rejected"),
                "dup > 1",
            ),
        ],
        ctx.params(base=ctx.base_currency, zone=zone),
    )
    cursor.execute("SELECT EXISTS (SELECT 1 FROM customers_feederror WHERE load_id = %s)", [load.pk])
    if cursor.fetchone()[0]:
        return 0, 0  # one rejected row: none of the file's rates is posted
    cursor.execute(
        """
        INSERT INTO customers_fxrate AS t (bank_id, currency, rate, buy_transfer, sell_transfer, buy_cash, sell_cash,
            as_of, effective_at, source, posted_by_id, reference, created_at)
        SELECT %(bank)s, currency, mid, bt, st, bc, sc, eff_date, eff, 'feed', %(poster)s, %(reference)s, now()
        FROM feed_rows
        ON CONFLICT (bank_id, currency, effective_at) DO UPDATE SET
            rate = EXCLUDED.rate, buy_transfer = EXCLUDED.buy_transfer, sell_transfer = EXCLUDED.sell_transfer,
            buy_cash = EXCLUDED.buy_cash, sell_cash = EXCLUDED.sell_cash, as_of = EXCLUDED.as_of,
            source = EXCLUDED.source, posted_by_id = EXCLUDED.posted_by_id, approved_by_id = NULL,
            reference = EXCLUDED.reference, created_at = EXCLUDED.created_at
        WHERE (t.rate, t.buy_transfer, t.sell_transfer, t.buy_cash, t.sell_cash)
              IS DISTINCT FROM (EXCLUDED.rate, EXCLUDED.buy_transfer, EXCLUDED.sell_transfer, EXCLUDED.buy_cash,
                                EXCLUDED.sell_cash)""",
        ctx.params(poster=load.uploaded_by_id, reference=f"FEED-{load.pk}"),
    )
    return kept, cursor.rowcount


LOADERS = {
    "customers": load_customers,
    "identities": load_identities,
    "contacts": load_contacts,
    "holdings": load_holdings,
    "transactions": load_transactions,
    "fx_rates": load_fx_rates,
}
