"""The fast staging path for CSV feeds whose every cell SQL can check (holdings, transactions).

The file's bytes go, as they are, through COPY (FORMAT csv, in the file's encoding) into an
all-text UNLOGGED table feed_raw_<load id>; one CREATE TABLE ... AS SELECT cleans the cells
(feed_clean_<load id>), a second runs the cell checks of reading.py in SQL (regular
expressions before anything is cast), producing the same staging table as the Python path:
row number, values, and the row's errors as JSON [field, value, reason]. No Python runs per row.

Whatever COPY refuses (a byte that does not decode, a row with more or fewer cells than the
header, stray quotes, an end-of-data marker) makes stage_by_copy() return None: the caller
then stages the file through the Python path, which names the row and the reason, or
rejects the file with its message. The header is read and checked in Python either way."""

import csv
import functools
import os
import re
import time

import psycopg
from django.db import connection, transaction
from django.utils.translation import gettext as _

from customers.ecif.feeds.formats import CURRENCIES
from customers.ecif.feeds.reading import COUNTRY_CODES, FALSE_WORDS, TRUE_WORDS
from ocrm.batch import runs as batch
from ocrm.imports import readers
from ocrm.imports.readers import SNIFF_BYTES, best_delimiter, map_header

SQL_KINDS = {"text", "choice", "date", "datetime", "decimal", "rate", "currency", "country", "bool"}


# A chunk is about this many bytes per row of the chunk size (the progress shown after each chunk).
BYTES_PER_CHUNK_ROW = 64


# A line holding only \. ends COPY's data early: such a file goes the Python way.
END_OF_DATA = re.compile(rb"(?:^|\n)\\\.\r?(?:\n|$)")


COPY_ENCODINGS = {"utf-8": "UTF8", "gb18030": "GB18030"}


SPACES = "\u00a0\u3000\u200b\ufeff"  # readers.clean_cell turns these into spaces before trimming


TRIMMED = " \t\r\n\x0b\x0c"


# ISO dates and times, checked field by field before anything is cast (PostgreSQL 15 has no safe cast).
DATE_SHAPE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


DATETIME_SHAPE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


DATETIME_REAL = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4]):?[0-5][0-9])?$"
)


# The common well-formed cell in one regular expression; anything else goes through every check in turn.
FAST_OK = {
    "date": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$",
    "datetime": (
        r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[ T]([01][0-9]|2[0-3]):[0-5][0-9]"
        r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4]):?[0-5][0-9])?$"
    ),
    "decimal": r"^-?[0-9]{1,17}(\.[0-9]{1,2})?$",
    "rate": r"^-?[0-9]{1,3}(\.[0-9]{1,4})?$",
}


NUMBER_SHAPE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


# An exponent of 100 or more is out of range whatever the digits, one of -1000 or less has too many
# decimals: neither is cast (numeric overflows).
HUGE_EXPONENT = r"[eE]\+?0*[0-9]{3,}$"


TINY_EXPONENT = r"[eE]-0*[0-9]{4,}$"


def eligible(spec, feed_file):
    """CSV feeds with no identity number, phone or e-mail: SQL can check every cell."""
    return feed_file.format == "csv" and spec.feed != "contacts" and all(col.kind in SQL_KINDS for col in spec.columns)


def raw_table(load):
    return f"feed_raw_{int(load.pk)}"


def clean_table(load):
    return f"feed_clean_{int(load.pk)}"


def _header(path, feed_file, spec):
    """(bytes of the header line, delimiter, {file position: key}), or None when the file needs the
    Python path. FileRejected (ocrm.imports.readers) when the header is wrong."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    end = head.find(b"\n")
    if end < 0:
        return None
    text = head[: end + 1].decode("utf-8-sig" if feed_file.encoding == "utf-8" else "gb18030")
    delimiter = best_delimiter(text, spec)
    header = [readers.clean_cell(c) for c in next(csv.reader([text], delimiter=delimiter), [])]
    positions = map_header(header, spec)
    if len(positions) != len(header):  # a column without a name: its cells are checked row by row
        return None
    return end + 1, delimiter, positions


def _copy_chunks(path, start, chunk_bytes):
    """The file from `start` on, in pieces cut after a newline."""
    with open(path, "rb") as handle:
        handle.seek(start)
        rest = b""
        while True:
            block = handle.read(chunk_bytes)
            if not block:
                if rest:
                    yield rest, handle.tell()
                return
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            yield data[:cut], handle.tell() - len(rest)


def stage_by_copy(load, spec, path, ctx, run, feed_file, table):
    """COPY the file and check it in SQL into `table`. Returns the rows read, or None when the
    Python path must stage the file (nothing is left behind then)."""
    header = _header(path, feed_file, spec)
    if header is None:
        return None
    start, delimiter, positions = header
    raw = raw_table(load)
    chunk_rows = int(os.environ.get("OCRM_BATCH_CHUNK_SIZE") or 50_000)
    delay = float(os.environ.get("OCRM_BATCH_CHUNK_DELAY") or 0)  # tests slow a load down to kill it
    file_columns = [f"c{index}" for index in positions]
    copy_sql = (
        f"COPY {raw} ({', '.join(file_columns)}) FROM STDIN (FORMAT csv, DELIMITER '{delimiter}', "
        f"ENCODING '{COPY_ENCODINGS[feed_file.encoding]}')"
    )
    read = 0
    # Whether every cell arrives as the cleaning would leave it (needs_cleaning): then none is cleaned.
    tidy = feed_file.encoding == "utf-8"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {raw}")
        # Row numbers as a spreadsheet shows them: the header is row 1.
        # A cached sequence: one backend numbers the rows in order, without a sequence write per row.
        cursor.execute(
            f"CREATE UNLOGGED TABLE {raw} (row_no bigint GENERATED ALWAYS AS IDENTITY (START WITH 2 "
            f"CACHE 100000), "
            f"{', '.join(f'{c} text' for c in file_columns)})"
        )
        try:
            for chunk, done in _copy_chunks(path, start, max(chunk_rows * BYTES_PER_CHUNK_ROW, 4096)):
                # The plain search first: the regular expression alone took 0.4 s per 500k rows.
                if b"\\." in chunk and END_OF_DATA.search(chunk):
                    raise _UsePython
                tidy = tidy and not needs_cleaning(chunk, delimiter)
                with transaction.atomic(), cursor.cursor.copy(copy_sql) as copy:
                    copy.write(chunk)
                read += cursor.cursor.rowcount
                run.count(read=read)
                run.set_progress(done)
                if delay:
                    time.sleep(delay)
        except (_UsePython, psycopg.DataError):
            cursor.execute(f"DROP TABLE {raw}")
            return None
        if tidy:  # an empty cell arrives as NULL
            cells = {key: f"coalesce(r.c{index}, '')" for index, key in positions.items()}
        else:  # an ASCII cell (as long in bytes as in characters) has none of the wide spaces to translate
            cells = {
                key: f"CASE WHEN octet_length(r.c{index}) = char_length(r.c{index}) THEN btrim(r.c{index}, %(trimmed)s) "
                f"ELSE btrim(translate(coalesce(r.c{index}, ''), %(spaces)s, %(blanks)s), %(trimmed)s) END"
                for index, key in positions.items()
            }
        checks = _Checks(spec, ctx, cells)
        clean = clean_table(load)
        cursor.execute(f"DROP TABLE IF EXISTS {clean}")
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        with transaction.atomic():
            batch.give_memory(cursor)
            if tidy:
                # Nothing to clean: the checks read the raw table (a coalesce is cheap to repeat).
                source = f"(SELECT row_no, {', '.join(f'{value} AS {key}' for key, value in cells.items())} FROM {raw} r)"
            else:
                # Two statements: the checks refer to each clean cell several times and PostgreSQL would
                # clean it again at every reference; and the second, free of subqueries, runs on parallel
                # workers. The planner rates the cleaning too cheap to share out (and the fresh raw table
                # has no statistics): passing rows to the leader is made cheap so that workers clean too.
                cursor.execute("SET LOCAL parallel_tuple_cost = 0.001; SET LOCAL parallel_setup_cost = 0")
                cursor.execute(
                    f"CREATE UNLOGGED TABLE {clean} AS SELECT row_no, "
                    f"{', '.join(f'{value} AS {key}' for key, value in cells.items())} FROM {raw} r",
                    checks.params,
                )
                cursor.execute(f"DROP TABLE {raw}")
                cursor.execute("RESET parallel_tuple_cost; RESET parallel_setup_cost")
                source = clean
            cursor.execute(
                f"""
                CREATE UNLOGGED TABLE {table} AS
                SELECT row_no, {", ".join(f"{value} AS {key}" for key, value in checks.values.items())},
                       nullif(array_to_json(array_remove(ARRAY[{", ".join(checks.errors)}], NULL))::text, '[]') AS errors
                FROM {source} s
                -- A row of empty cells is no row (as on the Python path).
                WHERE ({" OR ".join(f"{key} <> ''" for key in cells)})""",
                checks.params,
            )
            read = cursor.rowcount
        cursor.execute(f"DROP TABLE IF EXISTS {raw}")
        cursor.execute(f"DROP TABLE IF EXISTS {clean}")
        run.count(read=read)
    return read


# Bytes that put a cell out of what the cleaning leaves untouched, wherever they are in a chunk: quotes
# (a quoted cell may hold anything), vertical tabs, form feeds and NUL; and (only in a chunk that is not
# all ASCII) the wide spaces of SPACES in UTF-8.
UNTIDY_ANYWHERE = (b'"', b"\x0b", b"\x0c", b"\x00")


WIDE_SPACES = tuple(c.encode() for c in SPACES)


def needs_cleaning(chunk, delimiter):
    """Whether a UTF-8 chunk of whole lines may hold a cell that the cleaning would change (a byte of
    UNTIDY_ANYWHERE or a wide space, or a space or tab at either end of a cell). False means every
    cell is as it arrives: COPY (FORMAT csv) takes an unquoted cell's bytes as they are, so trimming
    and translating would leave each one unchanged. A few passes of C over the bytes (0.05 s per
    500k rows), none per row in Python."""
    if any(needle in chunk for needle in UNTIDY_ANYWHERE):
        return True
    if not chunk.isascii() and any(space in chunk for space in WIDE_SPACES):
        return True
    # A carriage return is only tidy as the first half of a Windows line break (COPY takes the file's
    # line breaks from its first line, and refuses a file that mixes them).
    if chunk.count(b"\r") != chunk.count(b"\r\n"):
        return True
    # Cell ends (delimiters, line breaks) become NUL and tabs spaces: a blank at a cell's end is then
    # a space next to a NUL, or at either end of the chunk.
    marked = chunk.translate(_cell_ends(delimiter))
    return marked.startswith(b" ") or marked.endswith(b" ") or b"\x00 " in marked or b" \x00" in marked


@functools.cache
def _cell_ends(delimiter):
    ends = delimiter.encode() + b"\n\r"
    blanks = b"" if delimiter == "\t" else b"\t"
    return bytes.maketrans(ends + blanks, b"\x00" * len(ends) + b" " * len(blanks))


class _UsePython(Exception):
    pass


class _Checks:
    """The SQL of the cell checks of one feed: per staged column its value, per column its error
    as jsonb [field, value, reason] or NULL (the first failed check, like reading.check_row)."""

    def __init__(self, spec, ctx, cells):
        self.params = {"spaces": SPACES, "blanks": " " * len(SPACES), "trimmed": TRIMMED}
        self.values, self.errors = {}, []
        present = set(cells)
        for col in spec.columns:
            if col.key not in present:  # an optional column (_map_header refuses a file without a required one)
                if col in spec.data_columns:
                    self.values[col.key] = "''"
                continue
            value, failures = self._column(col)
            if col in spec.data_columns:
                self.values[col.key] = value
            whens = []
            if col.required:
                whens.append(f"WHEN s.{col.key} = '' THEN {self._error(col, "''", _('required, but empty'))}")
            else:
                whens.append(f"WHEN s.{col.key} = '' THEN NULL")
            if col.kind in FAST_OK:
                whens.append(f"WHEN s.{col.key} ~ {self._param(FAST_OK[col.kind])} THEN NULL")
            whens += [f"WHEN {condition} THEN {self._error(col, shown, reason)}" for condition, shown, reason in failures]
            self.errors.append(f"CASE {' '.join(whens)} END")
        self._stamps(ctx, present)

    def _param(self, value):
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def _error(self, col, shown, reason):
        return f"jsonb_build_array({self._param(col.key)}::text, {shown}, {self._param(str(reason))}::text)"

    def _column(self, col):
        """(normalised value, [(bad condition, shown value, reason)]) of one column."""
        v = f"s.{col.key}"
        shown = f"left({v}, 200)"
        kind = col.kind
        if kind == "text":
            return v, [
                (
                    f"char_length({v}) > {int(col.max_length)}",
                    shown,
                    _("longer than %(max)d characters") % {"max": col.max_length},
                )
            ]
        if kind == "choice":
            return v, [
                (
                    f"NOT ({v} = ANY({self._param(list(col.choices))}::text[]))",
                    shown,
                    _("not one of %(choices)s") % {"choices": ", ".join(col.choices)},
                )
            ]
        if kind in ("currency", "country"):
            codes = sorted(CURRENCIES if kind == "currency" else COUNTRY_CODES)
            reason = _("not an ISO 4217 currency code") if kind == "currency" else _("not an ISO 3166 two-letter country code")
            return f"upper({v})", [(f"NOT (upper({v}) = ANY({self._param(codes)}::text[]))", shown, reason)]
        if kind == "bool":
            true_words, false_words = sorted(TRUE_WORDS), sorted(FALSE_WORDS)
            value = (
                f"CASE WHEN lower({v}) = ANY({self._param(true_words)}::text[]) THEN 't' "
                f"WHEN lower({v}) = ANY({self._param(false_words)}::text[]) THEN 'f' ELSE '' END"
            )
            return value, [
                (f"NOT (lower({v}) = ANY({self._param(true_words + false_words)}::text[]))", shown, _("not true/false"))
            ]
        if kind == "date":
            return v, [(f"NOT {_real_date(v, DATE_SHAPE)}", shown, _("not a date YYYY-MM-DD"))]
        if kind == "datetime":
            # Without an offset the time is UTC (as reading.check_datetime reads it).
            value = f"CASE WHEN {v} ~ '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$' THEN {v} ELSE {v} || '+00:00' END"
            return value, [
                (f"{v} !~ {self._param(DATETIME_SHAPE)}", shown, _("not a date and time YYYY-MM-DD HH:MM[:SS][+08:00]")),
                (f"NOT {_real_date(v, DATETIME_REAL, self._param(DATETIME_REAL))}", shown, _("not a real date and time")),
            ]
        places = 2 if kind == "decimal" else 4
        failures = [
            (f"{v} !~ {self._param(NUMBER_SHAPE)}", shown, _("not a number (use a dot as the decimal separator)")),
            (
                f"{v} ~ {self._param(HUGE_EXPONENT)} OR ({v} !~ {self._param(TINY_EXPONENT)} AND abs({v}::numeric) >= 1e18)",
                shown,
                _("not a finite number within range"),
            ),
            (
                f"{v} ~ {self._param(TINY_EXPONENT)} OR scale({v}::numeric) > {places}",
                shown,
                _("more than %(places)d decimals") % {"places": places},
            ),
        ]
        if kind == "rate":
            failures.append((f"abs({v}::numeric) >= 1000", shown, _("not a rate in per cent")))
        return v, failures

    def _stamps(self, ctx, present):
        """The optional columns source_system and business_date must repeat the file's stamp."""
        if "source_system" in present:
            self.errors.append(
                f"CASE WHEN s.source_system <> '' AND s.source_system <> {self._param(ctx.source_system)} THEN "
                f"jsonb_build_array('source_system', s.source_system, "
                f"{self._param(_("differs from the file's source system %(source)s") % {'source': ctx.source_system})}"
                f"::text) END"
            )
        if "business_date" in present:
            self.errors.append(
                f"CASE WHEN s.business_date <> '' AND {_real_date('s.business_date', DATE_SHAPE)} "
                f"AND s.business_date <> {self._param(ctx.business_date.isoformat())} THEN "
                f"jsonb_build_array('business_date', s.business_date, "
                f"{self._param(_("differs from the file's business date %(date)s") % {'date': ctx.business_date})}"
                f"::text) END"
            )


def _real_date(v, shape, shape_sql=None):
    """SQL: the text matches `shape` and its first ten characters are a date that exists."""
    shape_sql = shape_sql or "'" + shape + "'"
    return (
        f"(CASE WHEN {v} ~ {shape_sql} THEN substr({v}, 1, 4)::int >= 1 AND substr({v}, 9, 2)::int <= "
        f"extract(day FROM make_date(substr({v}, 1, 4)::int, substr({v}, 6, 2)::int, 1) "
        f"+ interval '1 month - 1 day') ELSE false END)"
    )
