"""Database defaults for the source-key columns: the bulk writers (demo COPY, matching, feeds) that
name only the columns they know still insert valid rows. Only sets column defaults (no rewrite)."""


from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_sharing'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contactpoint',
            name='source_key',
            field=models.CharField(blank=True, db_default='', default='', max_length=100, verbose_name='source key'),
        ),
        migrations.AlterField(
            model_name='contactpoint',
            name='source_system',
            field=models.CharField(blank=True, db_default='', default='', max_length=30, verbose_name='source system'),
        ),
        migrations.AlterField(
            model_name='identitydocument',
            name='source_key',
            field=models.CharField(blank=True, db_default='', default='', max_length=100, verbose_name='source key'),
        ),
        migrations.AlterField(
            model_name='identitydocument',
            name='source_system',
            field=models.CharField(blank=True, db_default='', default='', max_length=30, verbose_name='source system'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='source_system',
            field=models.CharField(blank=True, db_default='', default='', max_length=30, verbose_name='source system'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='source_txn_id',
            field=models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name='source transaction id'),
        ),
    ]
