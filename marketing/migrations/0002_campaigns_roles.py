"""Campaign permissions for the bank roles: marketing managers design, approve and evaluate;
customer managers and supervisors record the responses of their own customers."""

from django.db import migrations

ROLE_PERMISSIONS = {
    "marketing_manager": ["view_campaign", "add_campaign", "change_campaign", "approve_campaign", "respond_campaign"],
    "customer_manager": ["respond_campaign"],
    "branch_supervisor": ["respond_campaign"],
}
NAMES = {
    "view_campaign": "Can view campaign",
    "add_campaign": "Can add campaign",
    "change_campaign": "Can change campaign",
    "approve_campaign": "Approve and launch campaigns (marketing manager)",
    "respond_campaign": "Record campaign responses of own customers",
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="marketing", model="campaign")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": NAMES[codename]}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_campaigns"), ("sysadmin", "0002_roles"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
