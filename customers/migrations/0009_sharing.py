"""Reserved for the sharing area of issue 5 (filled by hand; see customers/models_sharing.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_search")]

    operations = []
