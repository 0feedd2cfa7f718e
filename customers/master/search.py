"""Name search keys for a bank of millions.

A trigram index does not serve two-character Chinese fragments ("王伟"): pg_trgm needs
three characters, and LIKE '%王伟%' scans (~340 ms at 1M rows here). Instead each
customer carries `name_grams`, a small text array behind a GIN index:

* CJK text: every character and every pair of adjacent characters (王, 伟, 王伟);
* Latin text: every prefix (2 to 12 letters) of every word, lower-cased
  (wa, wan, wang, we, wei) — managers type the start of a pinyin or English name.

A query becomes the grams it must contain (`name_grams @> ARRAY[...]`, an index hit)
and, for CJK text longer than two characters, a recheck with LIKE on the few candidates.
"""

import json
import re
import unicodedata

from django.db import connections

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
