"""Identity numbers' display form under the masking rule of ocrm.pii (a third of the number
shown): the stored masked form was the first four and last four characters, eight of a
passport's nine. Each number is decrypted and masked again; a number that cannot be decrypted
(a rotated key) is hidden whole."""

from django.db import migrations

from ocrm import pii

CHUNK = 2000


def remask(apps, schema_editor):
    IdentityDocument = apps.get_model("customers", "IdentityDocument")
    batch = []
    for document in IdentityDocument.objects.only("pk", "number_encrypted", "number_masked").iterator(chunk_size=CHUNK):
        clear = pii.decrypt(document.number_encrypted) if document.number_encrypted else None
        masked = pii.mask_id(clear) if clear else pii.HIDDEN * len(document.number_masked)
        if masked != document.number_masked:
            document.number_masked = masked
            batch.append(document)
        if len(batch) >= CHUNK:
            IdentityDocument.objects.bulk_update(batch, ["number_masked"])
            batch = []
    IdentityDocument.objects.bulk_update(batch, ["number_masked"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0013_partition_transactions_and_balances")]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
