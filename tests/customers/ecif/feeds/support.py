"""Shared helpers of the feed tests: write feed files, deliver them, link source records."""

import csv
import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from customers.ecif.feeds import services
from customers.ecif.feeds.models import FeedLoad, SourceRecord
from ocrm import pii
from tests.factories import make_customer

DAY1 = datetime.date(2026, 11, 20)
DAY2 = datetime.date(2026, 11, 21)


def resident_id(prefix17):
    """A PRC resident ID with the right check digit for the 17 digits given."""
    total = sum(int(d) * w for d, w in zip(prefix17, pii.RESIDENT_ID_WEIGHTS, strict=True))
    return prefix17 + pii.RESIDENT_ID_CHECK[total % 11]


def bad_check_digit(number):
    last = number[-1]
    return number[:-1] + ("1" if last != "1" else "2")


def csv_bytes(header, rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def deliver(actor, feed, content, *, source="CORE", date=DAY1, name=None):
    """Receive a file as the upload page does (the job is queued on commit, which the tests'
    transaction never reaches) and run the load here; returns the refreshed FeedLoad."""
    uploaded = SimpleUploadedFile(name or f"{feed}.csv", content)
    load = services.receive_upload(actor, source_system=source, feed=feed, business_date=date, uploaded=uploaded)
    services.run_load(load.pk)
    return FeedLoad.objects.get(pk=load.pk)


def errors_of(load):
    return sorted(load.errors.values_list("row_number", "field"))


def link(branch, keys, source="CORE"):
    """Resolve the named source records to new golden customers (what matching would do)."""
    customers = {}
    for index, key in enumerate(keys):
        customer = make_customer(f"G{source}{index:05d}{key}"[:32], branch)
        SourceRecord.objects.filter(bank_id=branch.bank_id, source_system=source, source_key=key).update(
            customer=customer, match_status=SourceRecord.MatchStatus.NEW
        )
        customers[key] = customer
    return customers


CUSTOMER_HEADER = [
    "customer_key",
    "kind",
    "name",
    "name_latin",
    "gender",
    "birth_date",
    "nationality",
    "id_type",
    "id_number",
    "phone",
    "email",
    "branch_code",
]


def customer_row(key, name="王伟", id_number="", phone="13912345678", **extra):
    values = {
        "customer_key": key,
        "kind": "retail",
        "name": name,
        "name_latin": "Wang Wei",
        "gender": "M",
        "birth_date": "1980-05-01",
        "nationality": "CN",
        "id_type": "resident_id" if id_number else "",
        "id_number": id_number,
        "phone": phone,
        "email": f"{key.lower()}@example.com",
        "branch_code": "A-SH",
    }
    values.update(extra)
    return [values[column] for column in CUSTOMER_HEADER]
