"""Labels for things the kernel shows a person but does not define, registered by the app
that defines them (the kernel never imports that app): role names (Django groups), which
sysadmin creates and labels."""

ROLE_LABELS = {}  # group name -> translated label


def register_roles(labels):
    ROLE_LABELS.update(labels)


def role_label(group_name):
    return ROLE_LABELS.get(group_name, group_name)
