"""Channel clients' signing keys and webhook secrets encrypted at rest (ocrm.pii)."""

from django.db import migrations, models

from ocrm import pii


def encrypt_existing(apps, schema_editor):
    ChannelClient = apps.get_model("workbench", "ChannelClient")
    for client in ChannelClient.objects.all():
        for field in ("signing_key_encrypted", "previous_signing_key_encrypted", "webhook_secret_encrypted"):
            value = getattr(client, field)
            if value and pii.decrypt(value) is None:
                setattr(client, field, pii.encrypt(value))
        client.save()


class Migration(migrations.Migration):
    dependencies = [("workbench", "0011_chanapi_channel_clients")]

    operations = [
        migrations.RenameField("channelclient", "secret_digest", "signing_key_encrypted"),
        migrations.RenameField("channelclient", "previous_secret_digest", "previous_signing_key_encrypted"),
        migrations.RenameField("channelclient", "webhook_secret", "webhook_secret_encrypted"),
        migrations.AlterField("channelclient", "signing_key_encrypted", models.TextField(editable=False)),
        migrations.AlterField("channelclient", "previous_signing_key_encrypted", models.TextField(blank=True, editable=False)),
        migrations.AlterField("channelclient", "webhook_secret_encrypted", models.TextField(blank=True, editable=False)),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
