"""Transactions and daily balances become range-partitioned by month, rows kept (DESIGN §6,
docs/scaling.md): transactions on occurred_at (UTC months), balances on business_date, each
with a default partition for rows outside the monthly ones. The database's keys carry the
partition key and bank_id (the distribution key); Django keeps addressing rows by id."""

from django.db import migrations, models

from ocrm.datalife import partitions


def partition_transactions(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "customers_transaction",
        "occurred_at",
        cache=1000,
        keys=["PRIMARY KEY (id, bank_id, occurred_at)"],
        indexes=[
            "CREATE UNIQUE INDEX txn_source_key ON customers_transaction "
            "(bank_id, source_system, source_txn_id, occurred_at) WHERE source_txn_id <> ''",
            "CREATE INDEX txn_business_date_brin ON customers_transaction USING brin (business_date)",
            "CREATE INDEX txn_customer_time ON customers_transaction (customer_id, occurred_at DESC)",
            "CREATE INDEX txn_holding_time ON customers_transaction (holding_id, occurred_at DESC)",
        ],
    )


def partition_balances(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "customers_holdingbalance",
        "business_date",
        keys=[
            "PRIMARY KEY (id, bank_id, business_date)",
            "CONSTRAINT balance_one_per_day UNIQUE (bank_id, holding_id, business_date)",
            "CONSTRAINT customers_holdingbal_holding_id_0ca5864e_fk_customers FOREIGN KEY (holding_id) "
            "REFERENCES customers_holding (id) DEFERRABLE INITIALLY DEFERRED",
        ],
        indexes=[
            "CREATE INDEX customers_holdingbalance_holding_id_0ca5864e ON customers_holdingbalance (holding_id)",
            "CREATE INDEX balance_customer_day ON customers_holdingbalance (customer_id, business_date)",
            "CREATE INDEX balance_bank_day ON customers_holdingbalance (bank_id, business_date) "
            "INCLUDE (holding_id, customer_id, balance_base)",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0012_source_record_single_customer_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(partition_transactions, elidable=False),
                migrations.RunPython(partition_balances, elidable=False),
            ],
            state_operations=[
                migrations.RemoveConstraint(model_name="transaction", name="txn_source_key"),
                migrations.AddConstraint(
                    model_name="transaction",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("source_txn_id", ""), _negated=True),
                        fields=("bank_id", "source_system", "source_txn_id", "occurred_at"),
                        name="txn_source_key",
                    ),
                ),
                migrations.RemoveConstraint(model_name="holdingbalance", name="balance_one_per_day"),
                migrations.AddConstraint(
                    model_name="holdingbalance",
                    constraint=models.UniqueConstraint(
                        fields=("bank_id", "holding", "business_date"), name="balance_one_per_day"
                    ),
                ),
            ],
        )
    ]
