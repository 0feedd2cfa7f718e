"""The cross-border service types every bank offers (the catalogue of DESIGN §7): reference data,
not a bank's configuration. Migration 0002 first wrote them; they are written again (update_or_create)
after every migrate and every test flush (post_migrate), so a database never runs without them."""

from django.apps import apps as global_apps

TYPES = [
    (
        "account_opening",
        "Account opening for a customer abroad",
        "境外客户开户",
        24,
        [
            {"name": "account_type", "label_en": "Account type", "label_local": "账户类型", "required": True},
            {"name": "currency", "label_en": "Currency", "label_local": "币种", "required": True},
        ],
        ["passport", "proof_of_address"],
    ),
    (
        "document_verification",
        "Document verification",
        "文件核验",
        8,
        [{"name": "document", "label_en": "Document to verify", "label_local": "待核验文件", "required": True}],
        ["document_copy"],
    ),
    (
        "local_product_purchase",
        "Local product purchase",
        "当地产品购买",
        16,
        [
            {"name": "product", "label_en": "Product", "label_local": "产品", "required": True},
            {"name": "amount", "label_en": "Amount", "label_local": "金额", "required": True},
        ],
        ["passport"],
    ),
    (
        "remittance_support",
        "Remittance support",
        "汇款协助",
        4,
        [{"name": "reference", "label_en": "Remittance reference", "label_local": "汇款编号", "required": True}],
        [],
    ),
    (
        "relationship_handoff",
        "Relationship hand-off",
        "客户关系移交",
        40,
        [{"name": "reason", "label_en": "Reason", "label_local": "原因", "required": False}],
        [],
    ),
]


def seed(using="default", apps=global_apps):
    """Write the types (update_or_create). `apps` is the migration state after a migrate: a partial
    migrate that has not made the table yet writes nothing, and only the fields it has are written."""
    try:
        ServiceType = apps.get_model("crossborder", "ServiceType")
    except LookupError:
        return
    have = {field.name for field in ServiceType._meta.fields}
    for code, name_en, name_local, hours, fields, documents in TYPES:
        values = {
            "name_en": name_en,
            "name_local": name_local,
            "sla_hours": hours,
            "form_fields": fields,
            "required_documents": documents,
        }
        ServiceType.objects.using(using).update_or_create(code=code, defaults={k: v for k, v in values.items() if k in have})


def seed_after_migrate(sender, using="default", apps=global_apps, **kwargs):
    if sender.name == "crossborder":
        seed(using=using, apps=apps)
