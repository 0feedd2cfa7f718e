"""Identity resolution (ECIF matching, issue 4): which golden Customer each source record is.

resolve_source_records(bank_id) takes every SourceRecord the feed marked 'unresolved' and,
in one transaction of set-based SQL over the whole batch:

1. deterministic match: same identity document type + keyed hash (retail) or same
   registration code (corporate) as an active customer of the same kind, or as a source
   record already resolved to one. A retail record never matches a corporate customer;
2. scored match for the rest: candidate customers come from blocking keys (phone, e-mail,
   birth date + first character of the name for retail, first four characters of the name
   for corporate); each pair is scored from the weighted similarity of name, birth date,
   phone, e-mail and address (edit distance, ocrm_text_sim in SQL). Vetoes: both sides hold
   a document of the same type with different numbers, different registration codes, or
   birth dates that disagree in more than one part (twins have different documents; father
   and son different birth dates). At or above the upper threshold the record joins that
   customer; between the thresholds it gets a new customer and the pair waits for review;
   below, a new customer;
3. records still without a customer get new ones: records of the batch sharing a
   deterministic key become one customer. Golden fields come by survivorship (trusted source
   priority, then most recent, then any non-empty value); the record's identity document,
   phone, e-mail and address become the customer's.

find_duplicates(bank_id) runs the same blocking and scoring among existing customers (the
nightly job) and queues the pairs between the thresholds (auto-merging those above).
"""

import logging
import time

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.ecif.matching import events
from customers.ecif.matching.merge import MergeError, merge_customers
from customers.ecif.matching.models import SCORED_FIELDS, MatchCandidate, MatchRule
from customers.ecif.matching.rules import rules_for
from customers.master.models import Address, ContactPoint, CorporateProfile, Customer, IdentityDocument, RetailProfile
from customers.master.search import name_grams
from customers.master.services import NUMBER_SEQUENCE, prepare_number_sequence
from ocrm.approvals import inbox
from ocrm.audit import services as audit

logger = logging.getLogger(__name__)


CREATE_CHUNK = 5000


# A phone or e-mail shared by more customers than this (a company switchboard, a branch's
# own address) says nothing about identity and would explode the candidate pairs.
MAX_BLOCK_SIZE = 20


# The same for a name block (birth date + first character for retail, first four characters for
# corporate): source systems fill unknown birth dates with 1900-01-01 or 1970-01-01, and
# "深圳市华..." starts thousands of company names. Real blocks hold a handful of customers.
MAX_NAME_BLOCK_SIZE = 200


# Per-field similarity 0..1, NULL when a side is empty (the field is then not compared).
# `l` is the incoming side (a source record or a customer's profile), `r` the customer's profile.
FIELD_SQL = {
    "name": """greatest(ocrm_text_sim(regexp_replace(l.name_local, '\\s', '', 'g'), regexp_replace(r.name_local, '\\s', '', 'g')),
                        ocrm_text_sim(lower(regexp_replace(l.name_latin, '[^A-Za-z]', '', 'g')),
                                      lower(regexp_replace(r.name_latin, '[^A-Za-z]', '', 'g'))))""",
    "birth_date": """CASE WHEN l.birth_date IS NULL OR r.birth_date IS NULL THEN NULL
                          WHEN l.birth_date = r.birth_date THEN 1.0
                          WHEN (extract(year FROM l.birth_date) = extract(year FROM r.birth_date))::int
                             + (extract(month FROM l.birth_date) = extract(month FROM r.birth_date))::int
                             + (extract(day FROM l.birth_date) = extract(day FROM r.birth_date))::int = 2
                            OR (extract(year FROM l.birth_date) = extract(year FROM r.birth_date)
                                AND extract(month FROM l.birth_date) = extract(day FROM r.birth_date)
                                AND extract(day FROM l.birth_date) = extract(month FROM r.birth_date)) THEN 0.6
                          ELSE 0.0 END""",
    "phone": "(SELECT max(ocrm_text_sim(l.phone, cp.value)) FROM customers_contactpoint cp "
    "WHERE cp.customer_id = r.id AND cp.kind IN ('mobile', 'phone'))",
    "email": "(SELECT max(ocrm_text_sim(lower(l.email), lower(cp.value))) FROM customers_contactpoint cp "
    "WHERE cp.customer_id = r.id AND cp.kind = 'email')",
    "address": "(SELECT max(ocrm_text_sim(l.address, a.line1)) FROM customers_address a WHERE a.customer_id = r.id)",
}


def _score_sql(weights):
    """SQL of the 0..100 score: weighted mean of the fields compared on both sides. A pair with
    fewer than two compared fields cannot score above 0 (one agreeing field proves nothing)."""
    terms = [(name, float(weight)) for name, weight in weights.items() if weight]
    numerator = " + ".join(f"coalesce(s_{n}, 0) * {w}" for n, w in terms) or "0"
    denominator = " + ".join(f"(CASE WHEN s_{n} IS NULL THEN 0 ELSE {w} END)" for n, w in terms) or "0"
    compared = " + ".join(f"(s_{n} IS NOT NULL)::int" for n, _w in terms) or "0"
    return (
        f"CASE WHEN ({compared}) < 2 OR ({denominator}) = 0 THEN 0 "
        f"ELSE round((100 * ({numerator}) / ({denominator}))::numeric, 2) END"
    )


def _create_scored_pairs(cursor, bank_id, left_sql, kind, rules, *, among_customers=False):
    """Fill temp table match_scored (left_id, customer_id, score, comparison) for one customer kind.

    left_sql: a SELECT giving id, kind, name_local, name_latin, birth_date, phone, email, address,
    id_type, id_number_hash, registration_code of the incoming side. among_customers: the left
    side is itself customers (keep each pair once, never a customer with itself)."""
    params = {"bank": bank_id, "kind": kind, "max_block": MAX_BLOCK_SIZE, "max_name_block": MAX_NAME_BLOCK_SIZE}
    cursor.execute("DROP TABLE IF EXISTS match_left, match_pairs, match_scored, match_crowded")
    cursor.execute(f"CREATE TEMP TABLE match_left ON COMMIT DROP AS {left_sql}", params)
    cursor.execute("ANALYZE match_left")
    if kind == "retail":
        block_of_left, block_of_customer = (
            "l.birth_date::text || left(l.name_local, 1)",
            "rp.birth_date::text || left(c.name_local, 1)",
        )
        name_join = """JOIN customers_retailprofile rp ON rp.birth_date = l.birth_date
                       JOIN customers_customer c ON c.id = rp.customer_id AND left(c.name_local, 1) = left(l.name_local, 1)
                      WHERE l.birth_date IS NOT NULL AND c.bank_id = %(bank)s"""
    else:
        block_of_left, block_of_customer = "left(l.name_local, 4)", "left(c.name_local, 4)"
        name_join = """JOIN customers_customer c ON left(c.name_local, 4) = left(l.name_local, 4)
                      WHERE c.bank_id = %(bank)s AND c.kind = 'corporate' AND length(l.name_local) >= 4"""
    # The name blocks of this batch that hold too many customers to say anything.
    cursor.execute(
        f"""
        CREATE TEMP TABLE match_crowded ON COMMIT DROP AS
        SELECT {block_of_customer} AS block FROM (SELECT DISTINCT ON ({block_of_left}) * FROM match_left l) l {name_join}
        GROUP BY 1 HAVING count(*) > %(max_name_block)s""",
        params,
    )
    name_block = f"""SELECT l.id AS left_id, c.id AS customer_id FROM match_left l {name_join}
                       AND NOT EXISTS (SELECT 1 FROM match_crowded x WHERE x.block = {block_of_left})"""
    cursor.execute(
        f"""
        CREATE TEMP TABLE match_pairs ON COMMIT DROP AS
        SELECT DISTINCT b.left_id, b.customer_id FROM (
            SELECT l.id AS left_id, cp.customer_id FROM match_left l
              JOIN customers_contactpoint cp ON cp.bank_id = %(bank)s AND cp.value = l.phone
             WHERE l.phone <> '' AND cp.kind IN ('mobile', 'phone')
               AND (SELECT count(*) FROM customers_contactpoint x
                     WHERE x.bank_id = %(bank)s AND x.value = l.phone) <= %(max_block)s
            UNION ALL
            SELECT l.id, cp.customer_id FROM match_left l
              JOIN customers_contactpoint cp ON cp.bank_id = %(bank)s AND cp.value = lower(l.email)
             WHERE l.email <> '' AND cp.kind = 'email'
               AND (SELECT count(*) FROM customers_contactpoint x
                     WHERE x.bank_id = %(bank)s AND x.value = lower(l.email)) <= %(max_block)s
            UNION ALL
            {name_block}
        ) b
        JOIN customers_customer c ON c.id = b.customer_id
        WHERE c.kind = %(kind)s AND c.merged_into_id IS NULL
          {"AND b.left_id < b.customer_id" if among_customers else ""}
        """,
        params,
    )
    # Vetoes: different documents of the same type; different registration codes.
    cursor.execute(
        """
        DELETE FROM match_pairs p USING match_left l
         WHERE l.id = p.left_id AND l.id_number_hash <> ''
           AND EXISTS (SELECT 1 FROM customers_identitydocument d
                        WHERE d.customer_id = p.customer_id AND d.doc_type = l.id_type)
           AND NOT EXISTS (SELECT 1 FROM customers_identitydocument d
                            WHERE d.customer_id = p.customer_id AND d.doc_type = l.id_type
                              AND d.number_hash = l.id_number_hash)
        """
    )
    cursor.execute(
        """
        DELETE FROM match_pairs p USING match_left l, customers_corporateprofile cpf
         WHERE l.id = p.left_id AND cpf.customer_id = p.customer_id
           AND l.registration_code <> '' AND cpf.registration_code <> ''
           AND upper(l.registration_code) <> upper(cpf.registration_code)
        """
    )
    if among_customers:
        # A pair already decided (different, or merged and later unmerged) is never proposed again.
        cursor.execute(
            """DELETE FROM match_pairs p USING customers_matchcandidate m
                WHERE m.customer_a_id = p.left_id AND m.customer_b_id = p.customer_id"""
        )
    weights = rules.weights
    sims = ",\n".join(f"{FIELD_SQL[name]} AS s_{name}" for name in SCORED_FIELDS)
    cursor.execute(
        f"""
        CREATE TEMP TABLE match_scored ON COMMIT DROP AS
        SELECT left_id, customer_id, {_score_sql(weights)} AS score,
               jsonb_build_object({", ".join(f"'{n}', round(s_{n}::numeric, 2)" for n in SCORED_FIELDS)}) AS comparison,
               s_name, s_birth_date
          FROM (
            SELECT p.left_id, p.customer_id, {sims}
              FROM match_pairs p
              JOIN match_left l ON l.id = p.left_id
              JOIN (SELECT c.id, c.name_local, c.name_latin, rp.birth_date
                      FROM customers_customer c
                      LEFT JOIN customers_retailprofile rp ON rp.customer_id = c.id) r ON r.id = p.customer_id
          ) s
        """
    )
    # A name that differs in half its letters, or a birth date wrong in more than one part, is another person.
    cursor.execute("DELETE FROM match_scored WHERE coalesce(s_name, 0) < 0.5 OR s_birth_date = 0")


def _priority_sql(priority):
    """An ORDER BY term ranking a source system by the trusted-source list (unlisted last)."""
    if not priority:
        return "0"
    cases = " ".join(f"WHEN %s THEN {i}" for i in range(len(priority)))
    return f"(CASE source_system {cases} ELSE {len(priority)} END)"


def resolve_source_records(bank_id, *, run=None):
    """Link every unresolved SourceRecord of the bank to a golden customer (see the module doc).
    Returns {"matched", "created", "merged", "review"} counts of records."""
    rules = rules_for(bank_id)
    counts = {"matched": 0, "created": 0, "merged": 0, "review": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        # One resolution per bank at a time: two would create the same new customer twice.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ocrm.matching'), %s::int)", [bank_id])
        # Temp tables drop at commit; inside an outer transaction (a caller's atomic block) drop them here.
        cursor.execute("DROP TABLE IF EXISTS match_records, match_groups, match_grams")
        cursor.execute(
            """
            CREATE TEMP TABLE match_records ON COMMIT DROP AS
            SELECT s.id, s.kind, s.source_system, s.updated_at, s.name_local, s.name_latin, s.gender, s.birth_date,
                   s.nationality, s.id_type, s.id_number_hash, s.id_number_encrypted, s.id_number_masked,
                   upper(s.registration_code) AS registration_code, s.phone, lower(s.email) AS email, s.address,
                   s.branch_code,
                   CASE WHEN s.kind = 'retail' AND s.id_number_hash <> '' THEN 'id:' || s.id_type || ':' || s.id_number_hash
                        WHEN s.kind = 'corporate' AND s.registration_code <> '' THEN 'reg:' || upper(s.registration_code)
                   END AS det_key,
                   c.id AS target, CASE WHEN c.id IS NULL THEN NULL ELSE 'kept' END AS how,
                   NULL::bigint AS review_with, NULL::numeric AS review_score, NULL::jsonb AS review_comparison
              FROM customers_sourcerecord s
              LEFT JOIN customers_customer c ON c.id = s.customer_id AND c.kind = s.kind
             WHERE s.bank_id = %s AND s.match_status = 'unresolved'
            """,
            [bank_id],
        )
        total = cursor.rowcount
        if run is not None:
            run.set_total(total)
        if not total:
            return counts
        cursor.execute("CREATE INDEX ON match_records (id)")
        cursor.execute("ANALYZE match_records")
        step = _stopwatch(total)
        _follow_merges(cursor)
        _deterministic(cursor, bank_id, rules)
        step("deterministic")
        if run is not None:
            run.set_progress(total // 4)
        for kind in ("retail", "corporate"):
            _scored(cursor, bank_id, kind, rules[kind])
            step(f"scored {kind}")
        if run is not None:
            run.set_progress(total // 2)
        _create_customers(cursor, bank_id, rules)
        step("new customers")
        if run is not None:
            run.set_progress(total * 3 // 4)
        _fill_golden_records(cursor, bank_id)
        step("golden records")
        _queue_reviews(cursor, bank_id)
        cursor.execute(
            """
            UPDATE customers_sourcerecord s
               SET customer_id = m.target,
                   match_status = CASE WHEN m.how = 'new' THEN 'new'
                                       WHEN m.how = 'review' THEN 'review' ELSE 'matched' END
              FROM match_records m WHERE s.id = m.id
            """
        )
        step("source records")
        cursor.execute("SELECT how, count(*) FROM match_records GROUP BY how")
        by_how = dict(cursor.fetchall())
        counts = {
            "matched": by_how.get("kept", 0) + by_how.get("deterministic", 0),
            "created": by_how.get("new", 0) + by_how.get("review", 0),
            "merged": by_how.get("scored", 0),
            "review": by_how.get("review", 0),
        }
        events.source_records_resolved(bank_id, counts)
        if run is not None:
            run.set_progress(total)
    return counts


def _stopwatch(total):
    """step(name) logs the seconds since the previous step: where a large resolution spends its time."""
    last = [time.perf_counter()]

    def step(name):
        now = time.perf_counter()
        logger.info("matching %s records: %s %.1f s", total, name, now - last[0])
        last[0] = now

    return step


def _follow_merges(cursor):
    """A record kept on a customer that has since been merged now belongs to the survivor."""
    for _depth in range(10):
        cursor.execute(
            """UPDATE match_records m SET target = c.merged_into_id
                 FROM customers_customer c WHERE c.id = m.target AND c.merged_into_id IS NOT NULL"""
        )
        if not cursor.rowcount:
            break


def _deterministic(cursor, bank_id, rules):
    if "identity" in rules["retail"].deterministic:
        cursor.execute(
            """
            UPDATE match_records m SET target = x.customer_id, how = 'deterministic'
              FROM (SELECT DISTINCT ON (d.doc_type, d.number_hash) d.doc_type, d.number_hash, d.customer_id
                      FROM customers_identitydocument d
                      JOIN customers_customer c ON c.id = d.customer_id
                     WHERE d.bank_id = %(bank)s AND c.kind = 'retail' AND c.merged_into_id IS NULL
                       AND (d.doc_type, d.number_hash) IN (SELECT id_type, id_number_hash FROM match_records
                                                            WHERE target IS NULL AND kind = 'retail')
                     ORDER BY d.doc_type, d.number_hash, d.customer_id) x
             WHERE m.target IS NULL AND m.kind = 'retail' AND m.id_number_hash <> ''
               AND x.doc_type = m.id_type AND x.number_hash = m.id_number_hash
            """,
            {"bank": bank_id},
        )
    if "registration_code" in rules["corporate"].deterministic:
        cursor.execute(
            """
            UPDATE match_records m SET target = x.customer_id, how = 'deterministic'
              FROM (SELECT DISTINCT ON (upper(p.registration_code)) upper(p.registration_code) AS code, p.customer_id
                      FROM customers_corporateprofile p
                      JOIN customers_customer c ON c.id = p.customer_id
                     WHERE c.bank_id = %(bank)s AND c.kind = 'corporate' AND c.merged_into_id IS NULL
                       AND p.registration_code <> ''
                     ORDER BY upper(p.registration_code), p.customer_id) x
             WHERE m.target IS NULL AND m.kind = 'corporate' AND m.registration_code = x.code
            """,
            {"bank": bank_id},
        )
    # Records resolved earlier carry keys the golden record may not hold (a record joined by score).
    cursor.execute(
        """
        UPDATE match_records m SET target = x.customer_id, how = 'deterministic'
          FROM (SELECT DISTINCT ON (k.det_key) k.det_key, k.customer_id
                  FROM (SELECT CASE WHEN s.kind = 'retail' AND s.id_number_hash <> ''
                                    THEN 'id:' || s.id_type || ':' || s.id_number_hash
                                    WHEN s.kind = 'corporate' AND s.registration_code <> ''
                                    THEN 'reg:' || upper(s.registration_code) END AS det_key,
                               coalesce(c.merged_into_id, c.id) AS customer_id, s.kind
                          FROM customers_sourcerecord s JOIN customers_customer c ON c.id = s.customer_id
                         WHERE s.bank_id = %(bank)s AND s.match_status <> 'unresolved' AND c.kind = s.kind) k
                 WHERE k.det_key IS NOT NULL
                   AND ((k.kind = 'retail' AND %(retail)s) OR (k.kind = 'corporate' AND %(corporate)s))
                 ORDER BY k.det_key, k.customer_id) x
         WHERE m.target IS NULL AND m.det_key = x.det_key
        """,
        {
            "bank": bank_id,
            "retail": "identity" in rules["retail"].deterministic,
            "corporate": "registration_code" in rules["corporate"].deterministic,
        },
    )


def _scored(cursor, bank_id, kind, rules):
    """Score the records of one kind still without a customer against existing customers."""
    _create_scored_pairs(
        cursor,
        bank_id,
        """SELECT id, kind, name_local, name_latin, birth_date, phone, email, address, id_type, id_number_hash,
                  registration_code FROM match_records WHERE target IS NULL AND kind = %(kind)s""",
        kind,
        rules,
    )
    cursor.execute(
        """
        WITH best AS (
            SELECT DISTINCT ON (left_id) left_id, customer_id, score, comparison
              FROM match_scored WHERE score >= %(lower)s ORDER BY left_id, score DESC, customer_id)
        UPDATE match_records m
           SET target = CASE WHEN b.score >= %(upper)s THEN b.customer_id END,
               how = CASE WHEN b.score >= %(upper)s THEN 'scored' END,
               review_with = CASE WHEN b.score < %(upper)s THEN b.customer_id END,
               review_score = b.score, review_comparison = b.comparison
          FROM best b WHERE m.id = b.left_id
        """,
        {"lower": rules.lower, "upper": rules.upper},
    )
    cursor.execute("DROP TABLE match_scored, match_pairs, match_left, match_crowded")


def _create_customers(cursor, bank_id, rules):
    """One new customer per group of records left without one: records sharing a deterministic
    key form a group, every other record its own. Golden values from the group's best record
    (trusted source, then most recent), empty fields filled from any other record of the group."""
    cursor.execute(
        """UPDATE match_records SET how = CASE WHEN review_with IS NULL THEN 'new' ELSE 'review' END
            WHERE target IS NULL"""
    )
    cursor.execute(
        "SELECT id, country FROM sysadmin_branch WHERE bank_id = %s AND parent_id IS NULL ORDER BY id LIMIT 1", [bank_id]
    )
    head_office = cursor.fetchone()
    if head_office is None:
        raise ValueError(f"bank {bank_id} has no head-office branch to own new customers")
    retail_priority = rules["retail"].source_priority
    corporate_priority = rules["corporate"].source_priority
    cursor.execute(
        f"""
        CREATE TEMP TABLE match_groups ON COMMIT DROP AS
        SELECT grp, kind, source_system,
               first_value(id) OVER w AS rep_id,
               coalesce(nullif(first_value(name_local) OVER w, ''), max(nullif(name_local, '')) OVER g, '') AS name_local,
               coalesce(nullif(first_value(name_latin) OVER w, ''), max(nullif(name_latin, '')) OVER g, '') AS name_latin,
               coalesce(nullif(first_value(gender) OVER w, ''), max(nullif(gender, '')) OVER g, '') AS gender,
               coalesce(first_value(birth_date) OVER w, max(birth_date) OVER g) AS birth_date,
               coalesce(nullif(first_value(nationality) OVER w, ''), max(nullif(nationality, '')) OVER g, '') AS nationality,
               coalesce(nullif(first_value(registration_code) OVER w, ''), max(nullif(registration_code, '')) OVER g, '')
                   AS registration_code,
               coalesce(nullif(first_value(branch_code) OVER w, ''), max(nullif(branch_code, '')) OVER g, '') AS branch_code,
               array_agg(source_system) OVER g AS systems,
               row_number() OVER w AS rn
          FROM (SELECT *, coalesce(det_key, 'rec:' || id) AS grp,
                       CASE WHEN kind = 'retail' THEN {_priority_sql(retail_priority)}
                            ELSE {_priority_sql(corporate_priority)} END AS priority
                  FROM match_records WHERE target IS NULL) r
        WINDOW w AS (PARTITION BY grp ORDER BY priority, updated_at DESC, id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
               g AS (PARTITION BY grp)
        """,
        [*retail_priority, *corporate_priority],
    )
    cursor.execute("DELETE FROM match_groups WHERE rn > 1")
    # New golden records are numbered in the bank's own scheme, like customers created on a page.
    prefix, digits = prepare_number_sequence(cursor, bank_id)
    # Ids and numbers drawn set-based from the two sequences; the search keys (name_grams) are
    # Python's (customers.master.search), streamed through COPY; then one INSERT ... SELECT per table.
    cursor.execute(
        f"""ALTER TABLE match_groups ADD COLUMN customer_id bigint, ADD COLUMN number text;
            UPDATE match_groups SET customer_id = nextval(pg_get_serial_sequence('customers_customer', 'id')),
                                    number = %s || lpad(nextval('{NUMBER_SEQUENCE}')::text, %s, '0');
            CREATE TEMP TABLE match_grams (customer_id bigint PRIMARY KEY, grams varchar(40)[]) ON COMMIT DROP""",
        [prefix, digits],
    )
    groups = connection.chunked_cursor()  # server-side: a million names never sit in memory at once
    groups.execute("SELECT customer_id, name_local, name_latin FROM match_groups")
    with connection.cursor() as writer:
        # One COPY per chunk: the connection cannot fetch from the cursor while a COPY is open.
        while rows := groups.fetchmany(CREATE_CHUNK):
            with writer.cursor.copy("COPY match_grams (customer_id, grams) FROM STDIN") as copy:
                for customer_id, local, latin in rows:
                    copy.write_row((customer_id, name_grams(local, latin)))
    groups.close()
    now = timezone.now()
    _insert_select(
        cursor,
        Customer,
        {
            "id": "g.customer_id",
            "bank_id": "%(bank)s",
            "number": "g.number",
            "kind": "g.kind",
            "name_local": "left(g.name_local, 200)",
            "name_latin": "left(g.name_latin, 200)",
            "name_grams": "x.grams",
            "branch_id": "coalesce(b.id, %(head_office)s)",
            "source_systems": "(SELECT array_agg(DISTINCT s ORDER BY s) FROM unnest(g.systems) s)",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        },
        """SELECT {columns} FROM match_groups g JOIN match_grams x ON x.customer_id = g.customer_id
             LEFT JOIN sysadmin_branch b ON b.bank_id = %(bank)s AND b.code = g.branch_code""",
        {"bank": bank_id, "head_office": head_office[0], "now": now},
    )
    _insert_select(
        cursor,
        RetailProfile,
        {
            "customer_id": "g.customer_id",
            "gender": "left(g.gender, 1)",
            "birth_date": "g.birth_date",
            "nationality": "left(g.nationality, 2)",
        },
        "SELECT {columns} FROM match_groups g WHERE g.kind = 'retail'",
        {},
    )
    _insert_select(
        cursor,
        CorporateProfile,
        {"customer_id": "g.customer_id", "registration_code": "g.registration_code", "founded_on": "g.birth_date"},
        "SELECT {columns} FROM match_groups g WHERE g.kind = 'corporate'",
        {},
    )
    cursor.execute(
        """UPDATE match_records m SET target = g.customer_id FROM match_groups g
            WHERE m.target IS NULL AND g.grp = coalesce(m.det_key, 'rec:' || m.id)"""
    )


def _insert_select(cursor, model, columns, select_sql, params):
    """INSERT INTO model's table SELECT ...: `columns` maps column -> SQL expression; every other
    column gets its Python default, so a column another area adds to the model does not break this."""
    exprs, values = dict(columns), []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in exprs:
            continue
        if field.get_default() is None and not field.null:
            raise ValueError(f"{model._meta.label}.{field.name} has no default: the matching cannot fill it")
        exprs[field.column] = "%(default_" + field.column + ")s"
        values.append((field.column, field.get_db_prep_save(field.get_default(), connection)))
    column_list = ", ".join(f'"{c}"' for c in exprs)
    cursor.execute(
        f'INSERT INTO "{model._meta.db_table}" ({column_list}) {select_sql.format(columns=", ".join(exprs.values()))}',
        {**params, **{f"default_{c}": v for c, v in values}},
    )


def _fill_golden_records(cursor, bank_id):
    """What each record brings to its customer: the identity document, phone, e-mail and address
    it does not hold yet, its source system, and empty golden fields (non-empty survivorship)."""
    _insert_select(
        cursor,
        IdentityDocument,
        {
            "bank_id": "%(bank)s",
            "customer_id": "m.target",
            "doc_type": "m.id_type",
            "number_hash": "m.id_number_hash",
            "number_encrypted": "m.id_number_encrypted",
            "number_masked": "m.id_number_masked",
            "issuing_country": "coalesce(nullif(m.nationality, ''), b.country)",
            "expiry_date": "NULL",
            "is_primary": "NOT EXISTS (SELECT 1 FROM customers_identitydocument p WHERE p.customer_id = m.target "
            "AND p.is_primary)",
        },
        """SELECT DISTINCT ON (m.target, m.id_type, m.id_number_hash) {columns}
             FROM match_records m
             JOIN customers_customer cu ON cu.id = m.target JOIN sysadmin_branch b ON b.id = cu.branch_id
            WHERE m.kind = 'retail' AND m.id_number_hash <> ''
              AND NOT EXISTS (SELECT 1 FROM customers_identitydocument d WHERE d.customer_id = m.target
                                 AND d.doc_type = m.id_type AND d.number_hash = m.id_number_hash)
            ORDER BY m.target, m.id_type, m.id_number_hash, m.updated_at DESC""",
        {"bank": bank_id},
    )
    for kind, value in (("mobile", "m.phone"), ("email", "m.email")):
        kinds = "('mobile', 'phone')" if kind == "mobile" else "('email')"
        _insert_select(
            cursor,
            ContactPoint,
            {
                "bank_id": "%(bank)s",
                "customer_id": "m.target",
                "kind": "%(kind)s",
                "value": value,
                "is_primary": f"NOT EXISTS (SELECT 1 FROM customers_contactpoint p WHERE p.customer_id = m.target "
                f"AND p.kind IN {kinds} AND p.is_primary)",
            },
            f"""SELECT DISTINCT ON (m.target, {value}) {{columns}}
                  FROM match_records m
                 WHERE {value} <> ''
                   AND NOT EXISTS (SELECT 1 FROM customers_contactpoint p WHERE p.customer_id = m.target
                                      AND p.value = {value})
                 ORDER BY m.target, {value}, m.updated_at DESC""",
            {"bank": bank_id, "kind": kind},
        )
    _insert_select(
        cursor,
        Address,
        {
            "bank_id": "%(bank)s",
            "customer_id": "m.target",
            "kind": "CASE WHEN m.kind = 'retail' THEN 'home' ELSE 'registered' END",
            "country": "b.country",
            "line1": "m.address",
            "is_primary": "NOT EXISTS (SELECT 1 FROM customers_address p WHERE p.customer_id = m.target AND p.is_primary)",
        },
        """SELECT DISTINCT ON (m.target, m.address) {columns}
             FROM match_records m
             JOIN customers_customer cu ON cu.id = m.target JOIN sysadmin_branch b ON b.id = cu.branch_id
            WHERE m.address <> ''
              AND NOT EXISTS (SELECT 1 FROM customers_address a WHERE a.customer_id = m.target AND a.line1 = m.address)
            ORDER BY m.target, m.address, m.updated_at DESC""",
        {"bank": bank_id},
    )
    # Existing golden records: source systems added, empty fields filled (never overwriting a value).
    cursor.execute(
        """
        UPDATE customers_customer c
           SET source_systems = (SELECT array_agg(DISTINCT s) FROM unnest(c.source_systems || x.systems) s),
               updated_at = now()
          FROM (SELECT target, array_agg(DISTINCT source_system) AS systems FROM match_records
                 WHERE how IN ('kept', 'deterministic', 'scored') GROUP BY target) x
         WHERE c.id = x.target AND NOT (c.source_systems @> x.systems)
        """
    )
    cursor.execute(
        """
        UPDATE customers_retailprofile p
           SET birth_date = coalesce(p.birth_date, x.birth_date),
               gender = CASE WHEN p.gender = '' THEN x.gender ELSE p.gender END
          FROM (SELECT DISTINCT ON (target) target, birth_date, gender FROM match_records
                 WHERE how IN ('kept', 'deterministic', 'scored') AND kind = 'retail'
                 ORDER BY target, updated_at DESC) x
         WHERE p.customer_id = x.target AND ((p.birth_date IS NULL AND x.birth_date IS NOT NULL)
                                             OR (p.gender = '' AND x.gender <> ''))
        """
    )
    cursor.execute(
        """
        UPDATE customers_corporateprofile p SET registration_code = x.registration_code
          FROM (SELECT DISTINCT ON (target) target, registration_code FROM match_records
                 WHERE how IN ('kept', 'deterministic', 'scored') AND kind = 'corporate' AND registration_code <> ''
                 ORDER BY target, updated_at DESC) x
         WHERE p.customer_id = x.target AND p.registration_code = ''
        """
    )


def _queue_reviews(cursor, bank_id):
    cursor.execute(
        """
        INSERT INTO customers_matchcandidate (bank_id, customer_a_id, customer_b_id, score, comparison, status,
                                              found_by, reason, created_at)
        SELECT DISTINCT ON (least(target, review_with), greatest(target, review_with))
               %s, least(target, review_with), greatest(target, review_with), review_score, review_comparison,
               'pending', 'feed', '', now()
          FROM match_records WHERE how = 'review' AND target <> review_with
         ORDER BY least(target, review_with), greatest(target, review_with), review_score DESC
        ON CONFLICT (customer_a_id, customer_b_id) DO NOTHING
        """,
        [bank_id],
    )


CUSTOMER_PROFILE_SQL = """
    SELECT c.id, c.kind, c.name_local, c.name_latin, rp.birth_date,
           coalesce((SELECT value FROM customers_contactpoint p WHERE p.customer_id = c.id AND p.kind IN ('mobile', 'phone')
                      ORDER BY p.is_primary DESC, p.id LIMIT 1), '') AS phone,
           coalesce((SELECT value FROM customers_contactpoint p WHERE p.customer_id = c.id AND p.kind = 'email'
                      ORDER BY p.is_primary DESC, p.id LIMIT 1), '') AS email,
           coalesce((SELECT line1 FROM customers_address a WHERE a.customer_id = c.id
                      ORDER BY a.is_primary DESC, a.id LIMIT 1), '') AS address,
           coalesce(d.doc_type, '') AS id_type, coalesce(d.number_hash, '') AS id_number_hash,
           coalesce(upper(cp.registration_code), '') AS registration_code
      FROM customers_customer c
      LEFT JOIN customers_retailprofile rp ON rp.customer_id = c.id
      LEFT JOIN customers_corporateprofile cp ON cp.customer_id = c.id
      LEFT JOIN LATERAL (SELECT doc_type, number_hash FROM customers_identitydocument x WHERE x.customer_id = c.id
                          ORDER BY x.is_primary DESC, x.id LIMIT 1) d ON true
     WHERE c.bank_id = %(bank)s AND c.kind = %(kind)s AND c.merged_into_id IS NULL
"""


def find_duplicates(bank_id, *, actor=None):
    """Queue pairs of existing customers that score between the thresholds, merge those above.
    Returns {"queued", "merged"}."""
    rules = rules_for(bank_id)
    counts = {"queued": 0, "merged": 0}
    to_merge = []
    with transaction.atomic(), connection.cursor() as cursor:
        for kind in ("retail", "corporate"):
            _create_scored_pairs(cursor, bank_id, CUSTOMER_PROFILE_SQL, kind, rules[kind], among_customers=True)
            cursor.execute(
                """
                INSERT INTO customers_matchcandidate (bank_id, customer_a_id, customer_b_id, score, comparison, status,
                                                      found_by, reason, created_at)
                SELECT DISTINCT ON (least(left_id, customer_id), greatest(left_id, customer_id))
                       %(bank)s, least(left_id, customer_id), greatest(left_id, customer_id), score, comparison,
                       'pending', 'duplicate_scan', '', now()
                  FROM match_scored WHERE score >= %(lower)s
                 ORDER BY least(left_id, customer_id), greatest(left_id, customer_id), score DESC
                ON CONFLICT (customer_a_id, customer_b_id) DO NOTHING
                RETURNING id, score
                """,
                {"bank": bank_id, "lower": rules[kind].lower},
            )
            for candidate_id, score in cursor.fetchall():
                if score >= rules[kind].upper:
                    to_merge.append(candidate_id)
                else:
                    counts["queued"] += 1
            cursor.execute("DROP TABLE match_scored, match_pairs, match_left, match_crowded")
    for candidate in MatchCandidate.objects.filter(pk__in=to_merge).order_by("id"):
        a = Customer.objects.get(pk=candidate.customer_a_id)
        b = Customer.objects.get(pk=candidate.customer_b_id)
        if a.merged_into_id or b.merged_into_id:  # an earlier merge of this scan took one of them
            counts["queued"] += 1
            continue
        try:
            merge_customers(a, b, actor, reason="automatic: duplicate scan", candidate=candidate)
            counts["merged"] += 1
        except MergeError as exc:
            logger.warning("automatic merge of candidate %s refused: %s", candidate.pk, exc)
            counts["queued"] += 1
    return counts


REVIEW_PERM = "customers.review_match"


UNMERGE_PERM = "customers.unmerge"


HISTORY_PERM = "customers.view_mergerecord"


def pending_for(user):
    """The review queue's pending pairs this user may decide (the approvals inbox counts them)."""
    return MatchCandidate.objects.visible_to(user).pending()


def register_audit():
    """Rule edits are audited with before/after."""
    audit.register(MatchRule)


def register_inbox():
    """The review queue counts in the approvals inbox."""
    inbox.register(
        "merge_review",
        gettext_lazy("Merge reviews"),
        pending=pending_for,
        url_name="customers:match_review_list",
        perm=REVIEW_PERM,
    )


def score_incoming(bank_id, left_sql, kind, rules):
    """Public: score incoming rows against the bank's customers with these matching rules (the same
    blocking, vetoes and weights as the feeds' resolution), for callers outside this area such as
    the prospect capture of marketing.prospects. left_sql is a SELECT giving id, kind, name_local,
    name_latin, birth_date, phone, email, address, id_type, id_number_hash, registration_code
    (it may use the parameter %(bank)s; put no other value in it). Returns [(left id, customer id, score)] at
    or above the rules' lower threshold, best first per left id. Runs in its own savepoint and
    leaves no temporary table behind."""
    with transaction.atomic(), connection.cursor() as cursor:
        _create_scored_pairs(cursor, bank_id, left_sql, kind, rules)
        cursor.execute(
            "SELECT left_id, customer_id, score FROM match_scored WHERE score >= %s ORDER BY left_id, score DESC, customer_id",
            [rules.lower],
        )
        found = [(left_id, customer_id, float(score)) for left_id, customer_id, score in cursor.fetchall()]
        cursor.execute("DROP TABLE match_scored, match_pairs, match_left, match_crowded")
    return found
