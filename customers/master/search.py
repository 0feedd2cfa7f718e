"""Name search keys for a bank of millions.

A trigram index does not serve two-character Chinese fragments ("王伟"): pg_trgm needs
three characters, and LIKE '%王伟%' scans (~340 ms at 1M rows here). Instead each
customer carries `name_grams`, a small text array behind a GIN index:

* CJK text: every character and every pair of adjacent characters (王, 伟, 王伟);
* Latin text: every prefix (2 to 12 letters) of every word, lower-cased
  (wa, wan, wang, we, wei) — managers type the start of a pinyin or English name.

A query becomes the grams it must contain (`name_grams @> ARRAY[...]`, an index hit)
and, for CJK text longer than two characters, a recheck with LIKE on the few candidates.

The list's search itself is posted and kept on the server behind a token (keep_search):
an identity or phone number never travels in a URL.
"""

import json
import re
import secrets
import time
import unicodedata

from django.apps import apps
from django.core.cache import cache
from django.db import connections
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.http import QueryDict

from ocrm import parameters
from ocrm.scoping import AnyOf

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")


WORD = re.compile(r"[a-z0-9]+")


MAX_PREFIX = 12


def _fold(text):
    """Lower case, accents removed (José -> jose), full-width letters folded."""
    text = unicodedata.normalize("NFKD", str(text or "")).lower()
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _cjk_grams(text):
    grams = set()
    for run in CJK.findall(text):
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def _word_prefixes(text):
    grams = set()
    for word in WORD.findall(_fold(text)):
        grams.update(word[:n] for n in range(2, min(len(word), MAX_PREFIX) + 1))
        if len(word) == 1:
            grams.add(word)
    return grams


def name_grams(*names):
    grams = set()
    for name in names:
        if name:
            grams |= _cjk_grams(str(name)) | _word_prefixes(str(name))
    return sorted(grams)


def query_grams(text):
    """(grams the name must contain, CJK fragment needing a LIKE recheck or None)."""
    text = str(text or "").strip()
    grams, recheck = set(), None
    for run in CJK.findall(text):
        if len(run) == 1:
            grams.add(run)
        else:
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
            if len(run) > 2:
                recheck = run
    for word in WORD.findall(_fold(text)):
        grams.add(word[:MAX_PREFIX])
    return sorted(grams), recheck


def filter_by_name(queryset, text):
    """Customers whose name contains the CJK fragment or whose words start with the
    Latin fragments. An empty query returns the queryset unchanged."""
    grams, recheck = query_grams(text)
    if not grams:
        return queryset
    queryset = queryset.filter(name_grams__contains=grams)
    if recheck:
        queryset = queryset.filter(name_local__contains=recheck)
    return queryset


def text_tests(text):
    """[(fragment, also in the Latin name)] that a name must contain for filter_by_name(text) to
    match it, when every gram of the query is CJK; None when it has a Latin word (a word prefix is
    no substring test). A CJK character or pair is among a name's grams exactly when one of its two
    names contains it, and a longer run is checked against the local name as the recheck is."""
    grams, recheck = query_grams(text)
    if not grams or WORD.search(_fold(text)):
        return None
    tests = [(gram, True) for gram in grams]
    return [(recheck, False), *tests] if recheck else tests


def filter_by_name_text(queryset, text):
    """filter_by_name(queryset, text) tested on the names' text instead of the gram array, or None
    when the query has a Latin word. For a walk of another index (the largest AUM first) that tests
    each row it reads: the array test costs ~1 µs a row (a few dozen grams, a corporate's English
    name), strpos a quarter of it; the GIN index serves the gram test only when it is the one read."""
    tests = text_tests(text)
    if tests is None:
        return None
    for fragment, in_latin_too in tests:
        local = Q(GreaterThan(StrIndex("name_local", Value(fragment)), 0))
        queryset = queryset.filter(local | Q(GreaterThan(StrIndex("name_latin", Value(fragment)), 0)) if in_latin_too else local)
    return queryset


def estimated_rows(queryset):
    """The planner's estimate of how many rows `queryset` matches (EXPLAIN, nothing is read):
    a count of tens of thousands of matches costs more than the page it describes."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def ordered_ids(queryset, limit):
    """Up to `limit` ids of `queryset` in its order (the primary key breaking ties), or None when
    the order is not plain field names. The filters are resolved first, through their own indexes,
    in a subquery the planner keeps as it is (OFFSET 0), and only its matches are sorted: with a
    LIMIT on the query itself PostgreSQL may walk a sort index instead, past a million rows for a
    rare name; and without the order, ids read up to the limit could not serve the first pages."""
    keys = _order_keys(queryset) if queryset.query.order_by else {}
    if keys is None:
        return None
    inner = queryset.order_by().annotate(walk_id=F("pk"), **_key_values(keys)).values_list("walk_id", *keys)
    sql, params = inner.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        order = _outer_order(keys)
        cursor.execute(f"SELECT walk_id FROM ({sql} OFFSET 0) AS matches ORDER BY {order} LIMIT %s", (*params, limit))
        return [row[0] for row in cursor.fetchall()]


# How many rows of a list's own order a name search sorted by name may walk looking for its page
# (walked_ids): a few milliseconds of index and heap reads. A name that clusters in one stretch of
# the alphabet ("wang" sorted by Latin name) finds too few in it, and the page sorts the matches.
WALK_BUDGET = 5000
# A subtree of more branches than this is not walked branch by branch when a name is searched: each
# walk reads a page's worth of matches, and their sum would pass what one sort of the matches costs.
WALKED_BRANCHES_MAX = 16


def _order_keys(queryset):
    order = list(queryset.query.order_by)
    if not order or not all(isinstance(field, str) for field in order):
        return None
    return {f"walk_key_{index}": field for index, field in enumerate(order)}


def _key_values(keys):
    """The annotations of a list's sort keys ({"walk_key_0": "-aum"} -> walk_key_0 = aum)."""
    return {key: F(field.lstrip("-")) for key, field in keys.items()}


def _breaks_ties(keys):
    return any(field.lstrip("-") in ("pk", "id") for field in keys.values())


def _walk_sql(queryset, keys, limit, columns=()):
    """SELECT walk_id, <keys>, <columns> of `queryset` in its order (the primary key breaking ties), LIMIT `limit`."""
    order = [*keys.values()] if _breaks_ties(keys) else [*keys.values(), "pk"]
    extra = {f"walk_{name}": F(name) for name in columns}
    inner = (
        queryset.order_by(*order)
        .annotate(walk_id=F("pk"), **_key_values(keys), **extra)
        .values_list("walk_id", *keys, *extra)[:limit]
    )
    return inner.query.sql_with_params()


def _outer_order(keys):
    sort = [f'"{key}" {"DESC" if field.startswith("-") else "ASC"}' for key, field in keys.items()]
    return ", ".join(sort if _breaks_ties(keys) else [*sort, '"walk_id" ASC'])


def _name_condition(text):
    """(SQL, params) of filter_by_name(text) on a walk's columns, or None for no name."""
    grams, recheck = query_grams(text)
    if not grams:
        return None
    condition, params = '"walk_name_grams" @> %s::varchar[]', [grams]
    if recheck:
        condition += ' AND strpos("walk_name_local", %s) > 0'
        params.append(recheck)
    return condition, params


def walked_ids(queryset, need, text, budget=None):
    """The first `need` ids, in `queryset`'s order, of its rows whose name matches `text` (as
    filter_by_name would match it), found by walking that order's own index over at most `budget`
    rows of `queryset`, which must not carry the name search itself. None when those rows hold
    fewer matches: the caller then sorts every match, which for a common name ("jun": 29,051 at
    1M customers) reads all of them, where the walk finds a page in a few hundred rows."""
    keys, condition = _order_keys(queryset), _name_condition(text)
    if keys is None or condition is None:
        return None
    sql, params = _walk_sql(queryset, keys, budget or WALK_BUDGET, columns=("name_grams", "name_local"))
    # The walk's rows come out of the subquery in its order (a Limit over an index scan, filtered
    # here, is not sorted again); the ORDER BY below keeps the answer right whatever the plan.
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"SELECT walk_id FROM (SELECT * FROM ({sql}) AS walk WHERE {condition[0]} LIMIT %s) AS page"
            f" ORDER BY {_outer_order(keys)}",
            (*params, *condition[1], need),
        )
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) >= need else None


def walked_pair(text):
    """The pair of CJK characters whose customers (CustomerNamePair) include every match of
    filter_by_name(text): the query's first, when it has one and no Latin word; else None."""
    if text_tests(text) is None:
        return None
    return next((run[:2] for run in CJK.findall(str(text)) if len(run) > 1), None)


def exact_pair(text):
    """The pair when `text` is exactly two CJK characters (its customers are then exactly the
    pair's), else None."""
    text = str(text or "").strip()
    return text if len(text) == 2 and CJK.fullmatch(text) else None


def paired_ids(bank_id, pair, limit, matching=None, budget=None):
    """Up to `limit` ids of the bank's golden records whose names hold `pair`, in the list's own
    order (the largest AUM first, then the number), read from the (bank, pair, AUM, number) index
    of CustomerNamePair: a few dozen index entries for a page, where the walk of the (bank, AUM)
    index tested 5,322 other names first for 慧敏 at 1M customers.

    With `matching` (the page's queryset: its scope, its filters and its name search), each of
    at most `budget` of the pair's customers is tested on it, and None answers when they hold
    fewer than `limit` matches. Without, the pair alone decides: a bank-wide search for exactly
    that pair and nothing else, answered from the index alone."""
    # models.py imports this module: the model is looked up, not imported.
    pairs = apps.get_model("customers", "CustomerNamePair").objects.filter(bank_id=bank_id, pair=pair)
    walk = pairs.order_by("-aum", "number")
    if matching is None:
        return list(walk.values_list("customer_id", flat=True)[:limit])  # the ids alone: no AUM to convert
    walk_sql, walk_params = walk.values_list("customer_id", "aum", "number")[: budget or WALK_BUDGET].query.sql_with_params()
    match = matching.order_by().filter(pk=RawSQL('"walk"."customer_id"', ())).values("pk")
    match_sql, match_params = match.query.sql_with_params()
    with connections[matching.db].cursor() as cursor:
        cursor.execute(
            f'SELECT "customer_id" FROM (SELECT * FROM ({walk_sql}) AS "walk" WHERE EXISTS ({match_sql}) LIMIT %s) AS "page"'
            ' ORDER BY "aum" DESC, "number" ASC',
            (*walk_params, *match_params, limit),
        )
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) >= limit else None


def subtree_ids(queryset, need, branch_ids, text="", budget=None):
    """The first `need` ids of `queryset` in its order, for a branch subtree (`branch_ids`): one
    walk of each branch's own index, merged. A subtree's customers cluster in the alphabet
    (Shanghai's pinyin names begin at C, after 41,883 others of the bank): one walk of the bank's
    name index in name order reads past them all, one per branch reads only the page.

    With `text`, a name search kept off `queryset`, each branch's walk keeps its matches and reads
    at most `budget` rows (shared among the branches); None when a branch reached its share
    before `need` matches (the caller then sorts every match)."""
    keys = _order_keys(queryset)
    if keys is None:
        return None
    per_branch = queryset.filter(branch_id=RawSQL('"subtree"."id"', ()))
    branch_ids = [int(pk) for pk in branch_ids]
    if not text:
        sql, params = _walk_sql(per_branch, keys, need)
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                f'SELECT walk_id FROM unnest(%s::bigint[]) AS "subtree"(id) CROSS JOIN LATERAL ({sql}) AS walk'
                f" ORDER BY {_outer_order(keys)} LIMIT %s",
                (branch_ids, *params, need),
            )
            return [row[0] for row in cursor.fetchall()]
    condition = _name_condition(text)
    if condition is None or not branch_ids:
        return None
    share = max(need, (budget or WALK_BUDGET) // len(branch_ids))
    sql, params = _walk_sql(per_branch, keys, share, columns=("name_grams", "name_local"))
    # Each branch's rows are numbered in walk order; its matches come out, and so does its last
    # row if the walk used its whole share: a branch that shows that row before `need` matches
    # stopped short of its end, and a match further on could belong on the page.
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f'SELECT "subtree".id, walk_id, walk_matched, walk_pos FROM unnest(%s::bigint[]) AS "subtree"(id)'
            f" CROSS JOIN LATERAL (SELECT * FROM (SELECT *, row_number() OVER () AS walk_pos, ({condition[0]}) AS walk_matched"
            f" FROM ({sql}) AS walk) AS numbered WHERE walk_matched OR walk_pos = %s LIMIT %s) AS walk"
            f" ORDER BY {_outer_order(keys)}",
            (branch_ids, *condition[1], *params, share, need),
        )
        rows = cursor.fetchall()
    matches, stopped = {}, set()
    for branch, _pk, matched, position in rows:
        matches[branch] = matches.get(branch, 0) + bool(matched)
        if position == share:
            stopped.add(branch)
    if any(matches[branch] < need for branch in stopped):
        return None
    return [pk for _branch, pk, matched, _position in rows if matched][:need]


# A value no branch id takes: the one compiled per-branch walk of merged_ids carries it where each
# branch's id goes.
_BRANCH_SLOT = -(2**62) - 19


def merged_ids(queryset, need, branch_ids, text="", budget=None):
    """The first `need` ids, in `queryset`'s order, of its rows in a branch subtree (`branch_ids`)
    whose name matches `text`, found by walking each branch's own index in that order, merged
    (PostgreSQL's Merge Append reads the branches' rows in the list's order, one at a time), over
    at most `budget` rows of the subtree. `queryset` must not carry the name search. None when
    those rows hold fewer matches.

    For the orders whose walk cannot stop per branch (AUM: a supervisor's common name, 慧敏, in a
    subtree of 131k customers at 1M): the merged walk reads the subtree's rows in AUM order until
    the page is found (~2,400 rows at 1M), where the bank's (bank, AUM) index read every branch's
    rows (~12,800), and sorting every match read the name index's 30k entries. Each branch's walk is
    a subquery with its own ORDER BY and LIMIT: PostgreSQL merges ordered subqueries, while a
    UNION ALL of plain filtered branches is planned as one sort of them all.

    Without `text`, the subtree's rows in that order: a supervisor's whole list on a later page
    (page 40 at 1M: the (bank, AUM) index read 5,462 rows, the other branches' among them, for the
    subtree's first 1,001)."""
    keys, condition = _order_keys(queryset), _name_condition(text)
    branch_ids = [int(pk) for pk in branch_ids]
    if keys is None or (text and condition is None) or not branch_ids:
        return None
    budget = budget or WALK_BUDGET
    leaf = _one_branch(queryset, branch_ids)
    sql, params = _walk_sql(leaf, keys, budget, columns=("name_grams", "name_local") if condition else ())
    slot = params.index(_BRANCH_SLOT)
    union = " UNION ALL ".join(f"({sql})" for _ in branch_ids)
    union_params = [value for pk in branch_ids for value in (*params[:slot], pk, *params[slot + 1 :])]
    order = _outer_order(keys)
    test, test_params = condition or ("TRUE", [])
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"SELECT walk_id FROM (SELECT * FROM (SELECT * FROM ({union}) AS merged ORDER BY {order} LIMIT %s) AS walk"
            f" WHERE {test} LIMIT %s) AS page ORDER BY {order}",
            (*union_params, budget, *test_params, need),
        )
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) >= need else None


def _one_branch(queryset, branch_ids):
    """`queryset` for the branch in _BRANCH_SLOT, without the scope's "branch is one of the subtree's"
    condition (_without_subtree): each branch walked is one of them. Kept, it made PostgreSQL multiply
    the two conditions' shares, expect a twentieth of the branch's rows, and sort them all rather than
    read the branch's index in order."""
    return _without_subtree(queryset.filter(branch_id=_BRANCH_SLOT), branch_ids)


def subtree_tested_per_row(queryset, branch_ids):
    """`queryset` with the scope's "branch is one of the subtree's" tested on each row read (`branch_id + 0`
    has no index) instead of read from the (bank, branch, tier) index. For a name rare in the whole bank: its
    index's few entries are read and each row tested, where PostgreSQL would AND them with the subtree's
    entries (sup.sh 林志 at 1M customers: 1,336 entries with 131,498; 4.5 ms against 8.4-11 ms)."""
    return _without_subtree(queryset, branch_ids).filter(AnyOf(F("branch_id") + 0, branch_ids))


# {(bank id, branch ids): (the planner's estimate of their customers, when it was taken)}: a subtree's
# size moves slowly, and a name search asks for it on every page (CustomerListView.rare_name_first).
_SUBTREE_ROWS = {}
SUBTREE_ROWS_SECONDS = 600


def subtree_rows(customers, bank_id, branch_ids):
    """The planner's estimate of the rows of `customers` (a queryset) of bank `bank_id` in the branches
    `branch_ids`, kept for SUBTREE_ROWS_SECONDS."""
    key, now = (bank_id, tuple(sorted(int(pk) for pk in branch_ids))), time.monotonic()
    rows, taken = _SUBTREE_ROWS.get(key, (0, -SUBTREE_ROWS_SECONDS))
    if now - taken >= SUBTREE_ROWS_SECONDS:
        rows = estimated_rows(customers.filter(AnyOf(F("branch_id"), key[1]), bank_id=bank_id))
        if len(_SUBTREE_ROWS) >= 10_000:
            _SUBTREE_ROWS.clear()
        _SUBTREE_ROWS[key] = (rows, now)
    return rows


def _without_subtree(queryset, branch_ids):
    """`queryset` without the scope's "branch is one of the subtree's" condition (ocrm.scoping.AnyOf with
    exactly `branch_ids`); any other condition stays."""

    def is_subtree(node):
        target = getattr(getattr(node, "lhs", None), "target", None)
        return (
            isinstance(node, AnyOf)
            and getattr(target, "attname", "") == "branch_id"
            and sorted(int(pk) for pk in node.rhs) == sorted(int(pk) for pk in branch_ids)
        )

    narrowed = queryset.all()
    narrowed.query.where.children = [node for node in narrowed.query.where.children if not is_subtree(node)]
    return narrowed


def with_ids(queryset, ids):
    """`queryset` narrowed to the rows whose key is one of `ids` (integers), with one parameter."""
    return queryset.filter(AnyOf(F("pk"), list(ids)))


# --- searches kept on the server --------------------------------------------------------------------
# A search for an identity number, a phone or an account number must not travel in a URL (the
# access log, the browser history, a Referer header and the idle time-out's next= would keep it).
# The search form is posted; its fields are kept in the cache under a random token, and the
# list's URL carries only ?s=<token>, which pages, sorts and exports like any other query.

SEARCH_TOKEN = "s"


def _token_key(token):
    return f"customers.search:{token}"


def keep_search(user, query):
    """Keep `query` (a QueryDict of the list's filter fields) for `user`; returns its token."""
    token = secrets.token_urlsafe(12)
    minutes = parameters.get("customers.search_token_minutes", user.bank_id)
    cache.set(_token_key(token), {"user": user.pk, "query": query.urlencode()}, timeout=minutes * 60)
    return token


def kept_search(user, token):
    """The QueryDict kept under `token` for `user` (extending its life), or None when it expired
    or belongs to someone else."""
    if not token:
        return None
    key = _token_key(str(token)[:40])
    kept = cache.get(key)
    if not kept or kept.get("user") != user.pk:
        return None
    cache.touch(key, parameters.get("customers.search_token_minutes", user.bank_id) * 60)
    return QueryDict(kept["query"])


def expand_search(user, query):
    """A list query string with its token replaced by the fields it stands for (None when the
    token expired): what a saved filter or a background export must replay later."""
    data = QueryDict(query or "", mutable=True)
    token = data.pop(SEARCH_TOKEN, [None])[-1]
    if token is None:
        return data
    kept = kept_search(user, token)
    if kept is None:
        return None
    for key, values in kept.lists():
        data.setlist(key, values)
    return data
